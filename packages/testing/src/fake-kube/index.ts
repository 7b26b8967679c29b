/** A fake Kubernetes API server (list/watch, CRUD, status, leases, TokenReview, SubjectAccessReview) and a kubeconfig pointing at it. */
export { startFakeKube } from './fake-kube.server.js';
export type { FakeKube, FakeKubeFailure, FakeKubeOptions, FakeKubeRequest, KubeObject } from './fake-kube.server.js';
export { FAKE_KUBE_RESOURCES, NM_GROUP, NM_VERSION, mergePatch, parseLabelSelector, matchesLabels } from './fake-kube.resources.js';
export type { FakeKubeResource } from './fake-kube.resources.js';
export { writeKubeconfig } from './kubeconfig.js';
export { reviewAccess, reviewToken, FAKE_KUBE_API_AUDIENCE } from './fake-kube.auth.js';
export type { FakeKubeUser, AccessReviewSpec, AccessReviewStatus, RbacObjects } from './fake-kube.auth.js';
export type { KubeconfigOptions } from './kubeconfig.js';
