import { z } from 'zod';
import { ObjectMetaSchema, StringMapSchema } from './common.schema.js';

/** The Kubernetes core/RBAC kinds this model reads: `v1 Secret`, `v1 ConfigMap`, `rbac/v1 RoleBinding`. */

export const SecretSchema = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Secret'),
  metadata: ObjectMetaSchema,
  type: z.string().optional(),
  /** Base64-encoded values. */
  data: StringMapSchema.optional(),
  /** Plain values; they win over `data` for the same key, as in Kubernetes. */
  stringData: StringMapSchema.optional(),
  immutable: z.boolean().optional(),
});
export type Secret = z.infer<typeof SecretSchema>;

export const ConfigMapSchema = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata: ObjectMetaSchema,
  data: StringMapSchema.optional(),
  binaryData: StringMapSchema.optional(),
  immutable: z.boolean().optional(),
});
export type ConfigMap = z.infer<typeof ConfigMapSchema>;

export const RBAC_API_VERSION = 'rbac.authorization.k8s.io/v1' as const;

export const RoleBindingSchema = z.looseObject({
  apiVersion: z.literal(RBAC_API_VERSION),
  kind: z.literal('RoleBinding'),
  metadata: ObjectMetaSchema,
  roleRef: z.looseObject({ apiGroup: z.string(), kind: z.string(), name: z.string() }),
  subjects: z
    .array(
      z.looseObject({
        kind: z.string(),
        name: z.string(),
        namespace: z.string().optional(),
        apiGroup: z.string().optional(),
      }),
    )
    .optional(),
});
export type RoleBinding = z.infer<typeof RoleBindingSchema>;

/** Decoded Secret data: `data` (base64) merged with `stringData` (which wins). */
export function decodeSecretData(secret: Pick<Secret, 'data' | 'stringData'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries(secret.stringData ?? {})) out[k] = v;
  return out;
}

/** True when `value` is canonical standard base64 (what the API server accepts in `data`). */
export function isBase64(value: string): boolean {
  const compact = value.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return false;
  return Buffer.from(compact, 'base64').toString('base64') === compact;
}
