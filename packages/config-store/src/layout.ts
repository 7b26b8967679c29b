/** The Redis layout of mirrored configuration. config-sync writes it; every other service reads it. */
export const keys = {
  /** Integer, incremented on every change. */
  revision: 'nm:config:revision',
  /** Hash `<Kind>/<name>` → sealed JSON of a validated object (Credential values left as references). */
  objects: 'nm:config:objects',
  /** Hash `<namespace>/<name>` → sealed JSON of the Secret's decoded data. */
  secrets: 'nm:config:secrets',
  /** Hash `<source>#<Kind>/<name>` → JSON list of problems for objects that were rejected or warned about. */
  problems: 'nm:config:problems',
  /** Pub/sub channel; message = the new revision. */
  changed: 'nm:config:changed',
  /** Hash service → JSON {instance, at}: heartbeats for readiness of the whole pipeline. */
  heartbeats: 'nm:heartbeats',
} as const;

export const KINDS = [
  'NotificationManager',
  'Config',
  'Receiver',
  'Router',
  'Silence',
  'InhibitRule',
  'EventRule',
  'ConfigMap',
  'RoleBinding',
] as const;
export type StoredKind = (typeof KINDS)[number];
