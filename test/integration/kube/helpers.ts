import { onTestFinished } from 'vitest';
import { startLab, type StartedLab } from '../../../src/index.js';
import { createKubeApi, type StartedKubeApi } from '../../../src/kube/create-kube-api.js';
import { createRbacAuthorizer } from '../../../src/kube/rbac.js';

/** A default lab (free ports) with the fake kube-apiserver in front of its IdP; both disposed after the test. */
export async function labWithKube(): Promise<{ lab: StartedLab; kube: StartedKubeApi }> {
  const lab = await startLab({ ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 }, env: {} });
  onTestFinished(() => lab.dispose());
  const kube = await createKubeApi({
    config: lab.config,
    issuer: lab.issuer,
    jwksUri: lab.jwksUri,
    clock: lab.clock,
    port: 0,
    authorizer: createRbacAuthorizer(lab.config.rbac),
  });
  onTestFinished(() => kube.dispose());
  return { lab, kube };
}
