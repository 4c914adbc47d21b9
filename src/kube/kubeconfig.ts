import { stringify } from 'yaml';

/**
 * A kubeconfig for the MLflow server's own identity (the service-account token), pointing at the lab's fake
 * kube-apiserver at `server`. The real plugin loads it when it is not in a cluster (`_load_kubernetes_configuration`,
 * mlflow-workspaces-k8s-auth.md §1).
 */
export function kubeconfigFor(server: string, token: string, caPem?: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'mlflow-authlab',
        // Under the lab's TLS, the kubernetes client trusts the lab CA through the kubeconfig, as in a real cluster.
        cluster: {
          server,
          ...(caPem !== undefined && { 'certificate-authority-data': Buffer.from(caPem).toString('base64') }),
        },
      },
    ],
    users: [{ name: 'mlflow', user: { token } }],
    contexts: [{ name: 'mlflow-authlab', context: { cluster: 'mlflow-authlab', user: 'mlflow' } }],
    'current-context': 'mlflow-authlab',
  });
}
