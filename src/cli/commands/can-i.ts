import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_CONFIG_FILE } from '../../config/defaults.js';
import { loadConfig } from '../../config/load.js';
import { AuthlabError } from '../../errors.js';
import { formatDecision } from '../../kube/explain.js';
import { createRbacAuthorizer } from '../../kube/rbac.js';
import type { ResourceAttributes } from '../../kube/types.js';
import { pickToken, requestToken } from '../../lab/request-token.js';
import { readLabState } from '../../lab/state-file.js';
import { labFetch } from '../lab-fetch.js';
import { out } from '../output.js';
import { fileURLToPath } from 'node:url';

interface CanIArgs {
  verb: string;
  resource: string;
  user: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  group: string;
  config?: string;
}

/**
 * `kubectl auth can-i` against the lab: `yes`/`no` (exit 0/1), then why. With a running lab the answer is the
 * fake kube-apiserver's, from a SelfSubjectAccessReview with the user's own token; the explanation comes from the
 * same RBAC evaluator over the lab's manifests (mlflow-workspaces-k8s-auth.md §3.3).
 */
export const canICommand: CommandModule<object, CanIArgs> = {
  command: 'can-i <verb> <resource>',
  describe:
    "Ask the lab's Kubernetes RBAC whether a user may do something, and why (like kubectl auth can-i)",
  builder: (y: Argv) =>
    y
      .positional('verb', {
        type: 'string',
        demandOption: true,
        describe: 'get, list, create, update, delete',
      })
      .positional('resource', {
        type: 'string',
        demandOption: true,
        describe: 'experiments, registeredmodels, … (resource/subresource works too)',
      })
      .option('user', { type: 'string', default: 'alice', describe: 'lab user (name or e-mail)' })
      .option('namespace', { alias: 'n', type: 'string', describe: 'namespace = workspace' })
      .option('name', { type: 'string', describe: 'the MLflow name (per-name RBAC: resourceNames)' })
      .option('subresource', { type: 'string', describe: 'e.g. use' })
      .option('group', { type: 'string', default: 'mlflow.kubeflow.org', describe: 'API group' })
      .option('config', {
        type: 'string',
        describe: 'lab config (default: the running lab’s, else the default lab)',
      }) as Argv<CanIArgs>,
  handler: async (argv) => {
    const state = await readLabState();
    const config = await loadConfig({
      file: argv.config ?? state?.configFile ?? fileURLToPath(DEFAULT_CONFIG_FILE),
    });
    const user = config.users.find((u) => u.name === argv.user || u.email === argv.user);
    if (!user)
      throw new AuthlabError('AUTHLAB_UNKNOWN_USER', `no user "${argv.user}" in ${config.source}`, {
        hint: `Users of this lab: ${config.users.map((u) => u.name).join(', ')}.`,
      });
    const [resource, sub] = argv.resource.split('/', 2) as [string, string | undefined];
    const attributes: ResourceAttributes = {
      group: argv.group,
      resource,
      verb: argv.verb,
      ...(argv.namespace !== undefined && { namespace: argv.namespace }),
      ...((argv.subresource ?? sub) !== undefined && { subresource: argv.subresource ?? sub }),
      ...(argv.name !== undefined && { name: argv.name }),
    };
    // kube-apiserver's OIDC settings in the lab: username from the e-mail claim, the groups claim as groups.
    const identity = { username: user.email, groups: [...user.groups, 'system:authenticated'] };
    const local = createRbacAuthorizer(config.rbac).authorize(identity, { resource: attributes });
    let allowed = local.allowed;
    let source = `evaluated from ${config.source} (no running lab)`;
    if (state?.kubeApiUrl) {
      const fetch = await labFetch(state);
      const token = pickToken(await requestToken(state.tokenEndpoint, config, { user: user.name }, fetch));
      const res = await fetch(`${state.kubeApiUrl}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ spec: { resourceAttributes: attributes } }),
      });
      const body = (await res.json()) as { status?: { allowed?: boolean } };
      allowed = body.status?.allowed === true;
      source = `SelfSubjectAccessReview at ${state.kubeApiUrl} with ${user.name}'s token`;
    }
    out.result(`${formatDecision(identity, attributes, { ...local, allowed })}\n(${source})`);
    if (!allowed) process.exitCode = 1;
  },
};
