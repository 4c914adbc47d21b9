// The discovery documents and version of the fake kube-apiserver: enough for the Kubernetes Python client,
// @kubernetes/client-node and kubectl to find the resources the lab serves (namespaces, the two access reviews).
// Only the verbs the lab answers are advertised.

/**
 * What `GET /version` answers: a Kubernetes 1.31 server (k8s.io/apimachinery/pkg/version.Info). The commit and
 * build date are illustrative, not those of a real release.
 */
export const VERSION_INFO = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.4',
  gitCommit: 'a78aa47129b8539636eb86a9d00e31b2720fe06b',
  gitTreeState: 'clean',
  buildDate: '2024-12-10T11:37:37Z',
  goVersion: 'go1.22.9',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export const AUTHORIZATION_GROUP = 'authorization.k8s.io';

/** `GET /api`. */
export function apiVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

const authorizationGroup = {
  name: AUTHORIZATION_GROUP,
  versions: [{ groupVersion: `${AUTHORIZATION_GROUP}/v1`, version: 'v1' }],
  preferredVersion: { groupVersion: `${AUTHORIZATION_GROUP}/v1`, version: 'v1' },
};

/** `GET /apis`. */
export const API_GROUP_LIST = { kind: 'APIGroupList', apiVersion: 'v1', groups: [authorizationGroup] };

/** `GET /apis/authorization.k8s.io`. */
export const AUTHORIZATION_API_GROUP = { kind: 'APIGroup', apiVersion: 'v1', ...authorizationGroup };

/** `GET /api/v1`. */
export const CORE_V1_RESOURCES = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [
    {
      name: 'namespaces',
      singularName: 'namespace',
      namespaced: false,
      kind: 'Namespace',
      verbs: ['get', 'list', 'watch'],
      shortNames: ['ns'],
    },
  ],
};

/** `GET /apis/authorization.k8s.io/v1`. */
export const AUTHORIZATION_V1_RESOURCES = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: `${AUTHORIZATION_GROUP}/v1`,
  resources: [
    {
      name: 'selfsubjectaccessreviews',
      singularName: 'selfsubjectaccessreview',
      namespaced: false,
      kind: 'SelfSubjectAccessReview',
      verbs: ['create'],
    },
    {
      name: 'subjectaccessreviews',
      singularName: 'subjectaccessreview',
      namespaced: false,
      kind: 'SubjectAccessReview',
      verbs: ['create'],
    },
  ],
};
