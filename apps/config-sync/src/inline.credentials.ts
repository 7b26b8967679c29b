import { isPlainObject as isRecord } from '@nm/model';

/** Namespace of the synthetic Secrets holding inline credential values. */
export const INLINE_NAMESPACE = '_inline';


/**
 * Moves every inline Credential value (`{value: "..."}`) of an object into a synthetic Secret
 * (`_inline/<Kind>.<name>`, key = the field path) and replaces it with a `secretKeyRef`, so no
 * credential is ever stored in clear text. Returns the rewritten object and the Secret's data.
 */
export function extractInlineCredentials(
  kind: string,
  name: string,
  object: unknown,
): { object: unknown; secretName: string; data: Record<string, string> } {
  const secretName = `${kind}.${name}`;
  const data: Record<string, string> = {};
  const walk = (v: unknown, path: string): unknown => {
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`));
    if (!isRecord(v)) return v;
    const keys = Object.keys(v);
    if (typeof v.value === 'string' && keys.every((k) => k === 'value' || k === 'valueFrom')) {
      data[path] = v.value;
      return { valueFrom: { secretKeyRef: { namespace: INLINE_NAMESPACE, name: secretName, key: path } } };
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = walk(v[k], path ? `${path}.${k}` : k);
    return out;
  };
  const rewritten = isRecord(object) && isRecord(object.spec) ? { ...object, spec: walk(object.spec, 'spec') } : object;
  return { object: rewritten, secretName, data };
}
