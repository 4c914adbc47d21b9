// The fake kube-apiserver driven by a real Kubernetes client library (@kubernetes/client-node), as a platform's
// tooling would talk to it: typed list/read, watch, and both access-review kinds.
import { AuthorizationV1Api, CoreV1Api, KubeConfig, Watch, type V1Namespace } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { StartedKubeApi } from '../../../src/kube/create-kube-api.js';
import { labWithKube } from './helpers.js';

function kubeConfig(kube: StartedKubeApi, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'lab', server: kube.url.href.replace(/\/$/, ''), skipTLSVerify: true }],
    users: [{ name: 'me', token }],
    contexts: [{ name: 'lab', cluster: 'lab', user: 'me' }],
    currentContext: 'lab',
  });
  return kc;
}

describe('fake kube-apiserver with @kubernetes/client-node', () => {
  it('lists, reads and filters namespaces', async () => {
    const { kube } = await labWithKube();
    const core = kubeConfig(kube, kube.serviceAccountToken).makeApiClient(CoreV1Api);
    const list = await core.listNamespace();
    expect(list.items.map((n) => n.metadata?.name)).toEqual(['team-a', 'team-b']);
    expect(list.items[1]?.metadata?.annotations?.['mlflow.kubeflow.org/workspace-description']).toBe(
      'Team B',
    );
    const selected = await core.listNamespace({ labelSelector: 'kubernetes.io/metadata.name!=team-a' });
    expect(selected.items.map((n) => n.metadata?.name)).toEqual(['team-b']);
    const one = await core.readNamespace({ name: 'team-a' });
    expect(one.status?.phase).toBe('Active');
    await expect(core.readNamespace({ name: 'nope' })).rejects.toMatchObject({ code: 404 });
  });

  it('watches namespaces', async () => {
    const { kube } = await labWithKube();
    const watch = new Watch(kubeConfig(kube, kube.serviceAccountToken));
    const seen: string[] = [];
    const ended = new Promise<unknown>((resolve) => {
      void watch.watch(
        '/api/v1/namespaces',
        { timeoutSeconds: 1 },
        (phase, obj: V1Namespace) => seen.push(`${phase} ${obj.metadata?.name}`),
        resolve,
      );
    });
    await ended;
    expect(seen).toEqual(['ADDED team-a', 'ADDED team-b']);
  });

  it('creates SelfSubjectAccessReviews and SubjectAccessReviews', async () => {
    const { lab, kube } = await labWithKube();
    const resourceAttributes = {
      group: 'mlflow.kubeflow.org',
      namespace: 'team-a',
      resource: 'experiments',
      verb: 'create',
    };
    const asAlice = kubeConfig(kube, await lab.token({ user: 'alice' })).makeApiClient(AuthorizationV1Api);
    const self = await asAlice.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes } } });
    expect(self.status?.allowed).toBe(true);
    expect(self.status?.reason).toContain('RoleBinding "team-a-editors/team-a"');

    const asMallory = kubeConfig(kube, await lab.token({ user: 'mallory' })).makeApiClient(
      AuthorizationV1Api,
    );
    const denied = await asMallory.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes } } });
    expect(denied.status?.allowed).toBe(false);

    const asServer = kubeConfig(kube, kube.serviceAccountToken).makeApiClient(AuthorizationV1Api);
    const sar = await asServer.createSubjectAccessReview({
      body: { spec: { user: 'bob@example.com', groups: ['team-b-viewers'], resourceAttributes } },
    });
    expect(sar.status?.allowed).toBe(false);
    await expect(
      asAlice.createSubjectAccessReview({ body: { spec: { user: 'bob', resourceAttributes } } }),
    ).rejects.toMatchObject({ code: 403 });

    const badToken = kubeConfig(kube, 'not-a-token').makeApiClient(AuthorizationV1Api);
    await expect(
      badToken.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes } } }),
    ).rejects.toMatchObject({ code: 401 });
  });
});
