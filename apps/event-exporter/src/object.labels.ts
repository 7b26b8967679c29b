import { KubernetesObjectApi, type KubeConfig } from '@kubernetes/client-node';
import { describeError } from '@nm/kube';
import type { Labels } from '@nm/model';
import type { Logger } from '@nm/telemetry';

/** The object an event is about. */
export interface InvolvedObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
}

export type ObjectLabelReader = (ref: InvolvedObjectRef) => Promise<Labels | undefined>;

/**
 * Reads the labels of involved objects for `involvedObjectSelector` (a GET of the object, needing
 * `get` on its kind), cached for `ttlMs` (default 60 s) and at most `maxEntries` objects. An object
 * that cannot be read (gone, forbidden, unknown kind) has unknown labels, so a selector does not
 * match it; `onFailure` counts that.
 */
export function objectLabelReader(
  kc: KubeConfig,
  logger: Logger,
  opts: { ttlMs?: number; maxEntries?: number; now?: () => number; onFailure?: () => void } = {},
): ObjectLabelReader {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const ttlMs = opts.ttlMs ?? 60_000;
  const maxEntries = opts.maxEntries ?? 10_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { at: number; labels: Labels | undefined }>();
  return async (ref) => {
    if (!ref.apiVersion || !ref.kind || !ref.name) return undefined;
    const key = `${ref.apiVersion}/${ref.kind}/${ref.namespace}/${ref.name}`;
    const hit = cache.get(key);
    if (hit && now() - hit.at < ttlMs) return hit.labels;
    let labels: Labels | undefined;
    try {
      const o = await api.read({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } });
      labels = { ...(o.metadata?.labels ?? {}) };
    } catch (err) {
      opts.onFailure?.();
      logger.debug({ object: key, err: describeError(err) }, 'involved object unreadable; its labels count as unknown');
      labels = undefined;
    }
    cache.delete(key);
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
    cache.set(key, { at: now(), labels });
    return labels;
  };
}
