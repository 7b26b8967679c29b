import type { Channel } from '@nm/contracts';
import type { FileProblem, LoadedObject, LoadResult } from '@nm/manifests';
import type { ConfigStoreWriter } from '@nm/config-store';
import type { Logger, Metrics } from '@nm/telemetry';
import { toContent } from './config.content.js';
import { withClusterName, type ClusterNameSource } from './cluster.name.js';
import { SENDER_CHANNELS, countMissingImplementations, missingSenderProblems } from './sender.coverage.js';

export interface MirrorResult {
  revision: number;
  changed: boolean;
  /** Every problem reported with this configuration (validation plus channels without a sender). */
  problems: FileProblem[];
}

/**
 * The one path from validated manifests to Redis, shared by directory and Kubernetes mode: adds
 * the warnings for Receivers of channels without a sender, logs problems (once per distinct set),
 * sets the object/problem gauges, writes everything through the config store writer (encrypting
 * Secrets, no-op when nothing changed) and reports the revision.
 */
export class ConfigMirror {
  private lastProblemsLogged = '';
  private readonly objectsGauge;
  private readonly problemsGauge;
  private readonly syncs;

  constructor(
    private readonly writer: ConfigStoreWriter,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    /** Called after every successful write with the mirrored revision and the valid objects. */
    private readonly onMirrored?: (revision: number, objects: readonly LoadedObject[]) => void,
    /** The cluster name recorded on the mirrored NotificationManager (see `withClusterName`). */
    private readonly clusterName?: ClusterNameSource,
    /** Channels with a sender service (default `SENDER_CHANNELS`; tests name fewer). */
    private readonly senderChannels: readonly Channel[] = SENDER_CHANNELS,
  ) {
    this.objectsGauge = metrics.gauge('nm_config_objects', 'Valid configuration objects, by kind', ['kind'] as const);
    this.problemsGauge = metrics.gauge('nm_config_problems', 'Configuration problems, by severity', ['severity'] as const);
    this.syncs = metrics.counter('nm_config_syncs_total', 'Configuration syncs, by result', ['result'] as const);
  }

  /** False when Redis holds no mirrored configuration (it restarted without persistence, was flushed). */
  hasContent(): Promise<boolean> {
    return this.writer.hasContent();
  }

  /** Validated manifests → Redis. Throws (and counts a failed sync) when the write fails. */
  async mirror(manifests: LoadResult, context: Record<string, unknown> = {}): Promise<MirrorResult> {
    try {
      // Receivers of channels no sender exists for are valid (they route), but nothing delivers them.
      const cluster = await this.clusterName?.current();
      const objects = withClusterName(manifests.objects, cluster?.name);
      const loaded = { objects, problems: [...manifests.problems, ...missingSenderProblems(objects, this.senderChannels)] };
      countMissingImplementations(this.metrics, loaded.objects, this.senderChannels);
      this.logProblems(loaded.problems);
      const counts = new Map<string, number>();
      for (const o of loaded.objects) counts.set(o.kind, (counts.get(o.kind) ?? 0) + 1);
      this.objectsGauge.reset();
      for (const [k, n] of counts) this.objectsGauge.set({ kind: k }, n);
      this.problemsGauge.set({ severity: 'error' }, loaded.problems.filter((p) => p.severity === 'error').length);
      this.problemsGauge.set({ severity: 'warning' }, loaded.problems.filter((p) => p.severity === 'warning').length);
      const { revision, changed } = await this.writer.replaceAll(toContent(loaded.objects, loaded.problems));
      this.onMirrored?.(revision, loaded.objects);
      this.syncs.inc({ result: changed ? 'changed' : 'unchanged' });
      if (changed) this.logger.info({ revision, objects: loaded.objects.length, ...context }, 'configuration mirrored');
      return { revision, changed, problems: loaded.problems };
    } catch (err) {
      this.syncs.inc({ result: 'failed' });
      throw err;
    }
  }

  /** Counts a sync that failed before reaching `mirror` (e.g. the source could not be read). */
  failed(): void {
    this.syncs.inc({ result: 'failed' });
  }

  private logProblems(problems: readonly FileProblem[]): void {
    const text = problems.map((p) => `${p.severity}|${p.file}|${p.kind}/${p.name}|${p.field}|${p.message}`).join('\n');
    if (text === this.lastProblemsLogged) return;
    for (const p of problems) {
      const fields = { file: p.file, object: `${p.kind}/${p.name}`, field: p.field, problem: p.message };
      if (p.severity === 'error') this.logger.error(fields, 'invalid configuration object rejected');
      else this.logger.warn(fields, 'configuration warning');
    }
    this.lastProblemsLogged = text;
  }
}
