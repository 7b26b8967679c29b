/** Kubernetes API plumbing shared by the services that watch a cluster (config-sync, event-exporter). */
export { loadKubeConfig, statusOf, describeError } from './kube.config.js';
export type { ListFn } from './kube.config.js';
export { ResourceWatcher } from './resource.watcher.js';
export type { BackoffOptions, WatchTarget, WatchChange } from './resource.watcher.js';
export { LeaseElector } from './lease.elector.js';
export type { LeaseOptions, LeaderCallbacks } from './lease.elector.js';
