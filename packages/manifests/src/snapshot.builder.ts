import { decodeSecretData, emptySnapshot, type ConfigSnapshot, type CrdObject, type NotificationManager } from '@nm/model';

/** A valid object read from a manifest file. */
export interface LoadedObject {
  file: string;
  kind: string;
  name: string;
  /** `metadata.namespace` as written (Secrets, ConfigMaps and RoleBindings are namespaced). */
  namespace?: string;
  object: CrdObject;
}

/** Namespace of Secrets and ConfigMaps written without one when no NotificationManager sets `defaultSecretNamespace`. */
export const FALLBACK_NAMESPACE = 'default';

/** The first NotificationManager: the one a snapshot uses. */
export function firstNotificationManager(objects: readonly LoadedObject[]): NotificationManager | undefined {
  for (const { object } of objects) if (object.kind === 'NotificationManager') return object;
  return undefined;
}

/** Namespace a namespaced object without `metadata.namespace` lands in. */
export function defaultNamespaceOf(objects: readonly LoadedObject[]): string {
  return firstNotificationManager(objects)?.spec.defaultSecretNamespace || FALLBACK_NAMESPACE;
}

/**
 * The snapshot of a set of loaded objects. Secrets are decoded (`data` base64 plus `stringData`)
 * into `secrets['namespace/name']` and ConfigMaps' `data` into `configMaps['namespace/name']`,
 * the namespace being the object's own, else the NotificationManager's `defaultSecretNamespace`,
 * else `default`. The first NotificationManager is used; when two objects have the same key the
 * first one is kept. Custom resources go to their arrays in the given order.
 */
export function buildSnapshot(objects: readonly LoadedObject[], revision: number): ConfigSnapshot {
  const snapshot = emptySnapshot(revision);
  const defaultNs = defaultNamespaceOf(objects);
  snapshot.notificationManager = firstNotificationManager(objects);
  for (const { object } of objects) {
    switch (object.kind) {
      case 'NotificationManager':
        break;
      case 'Config':
        snapshot.configs.push(object);
        break;
      case 'Receiver':
        snapshot.receivers.push(object);
        break;
      case 'Router':
        snapshot.routers.push(object);
        break;
      case 'Silence':
        snapshot.silences.push(object);
        break;
      case 'InhibitRule':
        snapshot.inhibitRules.push(object);
        break;
      case 'EventRule':
        (snapshot.eventRules ??= []).push(object);
        break;
      case 'RoleBinding':
        snapshot.roleBindings.push(object);
        break;
      case 'Secret': {
        const key = `${object.metadata.namespace || defaultNs}/${object.metadata.name}`;
        snapshot.secrets[key] ??= decodeSecretData(object);
        break;
      }
      case 'ConfigMap': {
        const key = `${object.metadata.namespace || defaultNs}/${object.metadata.name}`;
        snapshot.configMaps[key] ??= { ...object.data };
        break;
      }
    }
  }
  return snapshot;
}
