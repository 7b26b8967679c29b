import type { CoreV1Api } from '@kubernetes/client-node';
import type { LoadedObject } from '@nm/manifests';
import { CLUSTER_NAME_ANNOTATION } from '@nm/model';
import type { Logger } from '@nm/telemetry';
import { parse } from 'yaml';
// not through kube.client.js: that would load the Kubernetes client in directory mode too
import { describeError, statusOf } from '@nm/kube/errors';

/** Where KubeSphere keeps its cluster configuration (notification-manager reads the same places). */
export const KUBESPHERE_NAMESPACE = 'kubesphere-system';
export const KUBESPHERE_CLUSTER_ANNOTATION = 'cluster.kubesphere.io/name';
export const KUBESPHERE_CONFIG_MAP = 'kubesphere-config';
export const KUBESPHERE_CONFIG_KEY = 'kubesphere.yaml';

export interface DetectedClusterName {
  name: string;
  /** Where the name came from, for the log. */
  source: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `multicluster.clusterName` of KubeSphere's `kubesphere.yaml` (KubeSphere ≥ 3.3); undefined when absent or unreadable. */
export function clusterNameOfKubesphereYaml(text: string): string | undefined {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return undefined;
  }
  const mc = isRecord(doc) ? doc['multicluster'] : undefined;
  const name = isRecord(mc) ? mc['clusterName'] : undefined;
  return typeof name === 'string' && name.trim() !== '' ? name.trim() : undefined;
}

/**
 * This cluster's name as notification-manager finds it (after `options.global.cluster`, which the
 * readers apply): the annotation `cluster.kubesphere.io/name` of Namespace `kubesphere-system`, then
 * `multicluster.clusterName` in ConfigMap `kubesphere-system/kubesphere-config` key `kubesphere.yaml`.
 * Undefined when neither names one (not KubeSphere, or no permission to read them: logged at debug).
 */
export async function detectKubesphereClusterName(core: CoreV1Api, logger?: Logger): Promise<DetectedClusterName | undefined> {
  try {
    const ns = await core.readNamespace({ name: KUBESPHERE_NAMESPACE });
    const name = ns.metadata?.annotations?.[KUBESPHERE_CLUSTER_ANNOTATION]?.trim();
    if (name) return { name, source: `annotation ${KUBESPHERE_CLUSTER_ANNOTATION} of Namespace ${KUBESPHERE_NAMESPACE}` };
  } catch (err) {
    if (statusOf(err) !== 404) logger?.debug({ err: describeError(err) }, `reading Namespace ${KUBESPHERE_NAMESPACE} for the cluster name failed`);
  }
  try {
    const cm = await core.readNamespacedConfigMap({ namespace: KUBESPHERE_NAMESPACE, name: KUBESPHERE_CONFIG_MAP });
    const text = cm.data?.[KUBESPHERE_CONFIG_KEY];
    const name = text === undefined ? undefined : clusterNameOfKubesphereYaml(text);
    if (name) return { name, source: `multicluster.clusterName of ConfigMap ${KUBESPHERE_NAMESPACE}/${KUBESPHERE_CONFIG_MAP} key ${KUBESPHERE_CONFIG_KEY}` };
  } catch (err) {
    if (statusOf(err) !== 404) logger?.debug({ err: describeError(err) }, `reading ConfigMap ${KUBESPHERE_NAMESPACE}/${KUBESPHERE_CONFIG_MAP} for the cluster name failed`);
  }
  return undefined;
}

/**
 * The cluster name config-sync records on the mirrored NotificationManager: `override`
 * (`NM_CLUSTER_NAME`) when set, else what `detect` finds (re-read at most every `ttlMs`). Logs the
 * name and its source whenever they change, and says plainly when nothing names the cluster (alerts
 * without a `cluster` label then get `default` unless `options.global.cluster` is set).
 */
export class ClusterNameSource {
  private cached: { value: DetectedClusterName | undefined; until: number } | undefined;
  private lastLogged: string | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly opts: { override?: string | undefined; detect?: (() => Promise<DetectedClusterName | undefined>) | undefined; ttlMs?: number; now?: () => number } = {},
  ) {}

  async current(): Promise<DetectedClusterName | undefined> {
    const override = this.opts.override?.trim();
    const now = this.opts.now?.() ?? Date.now();
    let found: DetectedClusterName | undefined;
    if (override) found = { name: override, source: 'NM_CLUSTER_NAME' };
    else if (this.cached && this.cached.until > now) found = this.cached.value;
    else {
      found = await this.opts.detect?.().catch(() => undefined);
      this.cached = { value: found, until: now + (this.opts.ttlMs ?? 60_000) };
    }
    const key = found ? `${found.name}\u0000${found.source}` : '';
    if (key !== this.lastLogged) {
      this.lastLogged = key;
      if (found) this.logger.info({ cluster: found.name, from: found.source }, 'cluster name');
      else {
        this.logger.warn(
          `no cluster name found (NM_CLUSTER_NAME unset; no ${KUBESPHERE_CLUSTER_ANNOTATION} annotation on Namespace ${KUBESPHERE_NAMESPACE}, no multicluster.clusterName in ConfigMap ${KUBESPHERE_NAMESPACE}/${KUBESPHERE_CONFIG_MAP}): ` +
            "alerts without a cluster label get 'default' unless the NotificationManager sets receivers.options.global.cluster",
        );
      }
    }
    return found;
  }
}

/** The objects with the cluster name recorded on every NotificationManager (annotation {@link CLUSTER_NAME_ANNOTATION}). */
export function withClusterName(objects: readonly LoadedObject[], name: string | undefined): LoadedObject[] {
  if (!name) return [...objects];
  return objects.map((o) => {
    if (o.kind !== 'NotificationManager') return o;
    const meta = o.object.metadata;
    return { ...o, object: { ...o.object, metadata: { ...meta, annotations: { ...meta.annotations, [CLUSTER_NAME_ANNOTATION]: name } } } };
  });
}
