import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { KubeApis, ListFn } from './kube.client.js';

/** A kind config-sync watches. */
export interface WatchedKind {
  kind: string;
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  /** One of the kinds whose `status.conditions` config-sync writes. */
  custom: boolean;
}

export const NM_GROUP = 'notification.kubesphere.io';
export const NM_VERSION = 'v2beta2';

const custom = (kind: string, plural: string): WatchedKind => ({ kind, group: NM_GROUP, version: NM_VERSION, plural, namespaced: false, custom: true });

/** notification-manager's five kinds plus InhibitRule and EventRule, all cluster-scoped. */
export const CUSTOM_KINDS: readonly WatchedKind[] = [
  custom('NotificationManager', 'notificationmanagers'),
  custom('Config', 'configs'),
  custom('Receiver', 'receivers'),
  custom('Router', 'routers'),
  custom('Silence', 'silences'),
  custom('InhibitRule', 'inhibitrules'),
  custom('EventRule', 'eventrules'),
];
export const SECRETS: WatchedKind = { kind: 'Secret', group: '', version: 'v1', plural: 'secrets', namespaced: true, custom: false };
export const CONFIG_MAPS: WatchedKind = { kind: 'ConfigMap', group: '', version: 'v1', plural: 'configmaps', namespaced: true, custom: false };
export const ROLE_BINDINGS: WatchedKind = {
  kind: 'RoleBinding',
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural: 'rolebindings',
  namespaced: true,
  custom: false,
};

export const apiVersionOf = (k: WatchedKind): string => (k.group === '' ? k.version : `${k.group}/${k.version}`);

/** The list/watch path: `/apis/<group>/<version>[/namespaces/<ns>]/<plural>` (core: `/api/v1/...`). */
export function collectionPath(k: WatchedKind, namespace?: string): string {
  const base = k.group === '' ? `/api/${k.version}` : `/apis/${k.group}/${k.version}`;
  return namespace !== undefined ? `${base}/namespaces/${encodeURIComponent(namespace)}/${k.plural}` : `${base}/${k.plural}`;
}

/** Where an object came from, as problems and logs name it (the `file` of a manifest). */
export function sourceOf(k: WatchedKind, name: string, namespace?: string): string {
  return namespace !== undefined ? `kubernetes:namespaces/${namespace}/${k.plural}/${name}` : `kubernetes:${k.plural}/${name}`;
}

/** The typed list call of a kind (all namespaces when `namespace` is undefined). */
export function listFnOf(apis: KubeApis, k: WatchedKind, namespace?: string): ListFn {
  const cast = (p: Promise<unknown>) => p as Promise<KubernetesListObject<KubernetesObject>>;
  if (k.custom) return () => cast(apis.custom.listClusterCustomObject({ group: k.group, version: k.version, plural: k.plural }));
  if (k === SECRETS) return () => cast(namespace !== undefined ? apis.core.listNamespacedSecret({ namespace }) : apis.core.listSecretForAllNamespaces());
  if (k === CONFIG_MAPS) return () => cast(namespace !== undefined ? apis.core.listNamespacedConfigMap({ namespace }) : apis.core.listConfigMapForAllNamespaces());
  if (k === ROLE_BINDINGS) {
    return () => cast(namespace !== undefined ? apis.rbac.listNamespacedRoleBinding({ namespace }) : apis.rbac.listRoleBindingForAllNamespaces());
  }
  throw new Error(`no list function for ${k.kind}`);
}
