import { validateObjects, type LoadedObject, type LoadResult } from '@nm/manifests';
import { qualifyReferences, type CrdObject } from '@nm/model';
import type { Logger, Metrics } from '@nm/telemetry';
import type { ConfigMirror } from '../config.mirror.js';
import type { KubeApis } from './kube.client.js';
import { KubeSource } from './kube.source.js';
import { LeaseElector, type BackoffOptions, type LeaseOptions } from '@nm/kube';
import { StatusWriter } from './status.writer.js';

export interface KubernetesSyncOptions {
  /** The namespace notification-manager runs in (`NM_NAMESPACE`): default for references, home of the Lease. */
  namespace: string;
  /** This replica's identity in the Lease. */
  identity: string;
  /** Lease settings (name, default `notification-manager-config-sync`; duration, renew period); the namespace is `namespace`. */
  lease?: Partial<Omit<LeaseOptions, 'namespace' | 'identity' | 'metricPrefix' | 'leaderRole'>>;
  /** Restart backoff of a failed list/watch. */
  backoff?: BackoffOptions;
  /** How long events are collected before one sync (default 100 ms). */
  debounceMs?: number;
  /** How often Redis is checked for lost configuration and pending work is retried (default 1 s). */
  pollMs?: number;
  /** See `KubeSourceOptions.secondaryWaitMs`. */
  secondaryWaitMs?: number;
  /** Write `status.conditions` on the custom resources (default true). */
  writeStatus?: boolean;
}

export const DEFAULT_LEASE_NAME = 'notification-manager-config-sync';

/** Custom kinds whose references are qualified with the default namespace before mirroring. */
const NAMESPACED_KINDS = new Set(['Secret', 'ConfigMap', 'RoleBinding']);

/**
 * Kubernetes mode: informers on the API server (see {@link KubeSource}) feed the same validation
 * (`validateObjects`, what `nmctl validate` runs) and the same mirroring ({@link ConfigMirror}) as
 * directory mode. Changes are collected for `debounceMs`, then validated and mirrored; each custom
 * resource gets a `Valid` status condition. Only the replica holding the Lease writes (Redis and
 * status). Nothing is mirrored before every custom kind was listed once, and a failing API server
 * changes nothing: the informers keep their last state and Redis keeps the last good configuration.
 * When Redis comes back empty, the leader mirrors everything again within `pollMs`.
 */
export class KubernetesSync {
  readonly source: KubeSource;
  readonly elector: LeaseElector;
  private readonly status: StatusWriter;
  private readonly debounceMs: number;
  private readonly pollMs: number;
  private dirty = true;
  private debounce: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private stopped = false;
  private lastWaiting = '';
  private mirroredOnce = false;

  constructor(
    apis: KubeApis,
    private readonly mirror: ConfigMirror,
    private readonly logger: Logger,
    metrics: Metrics,
    private readonly opts: KubernetesSyncOptions,
    private readonly leadership: { onStartedLeading?: () => void; onStoppedLeading?: () => void } = {},
  ) {
    this.debounceMs = opts.debounceMs ?? 100;
    this.pollMs = opts.pollMs ?? 1000;
    this.source = new KubeSource(apis, { namespace: opts.namespace, backoff: opts.backoff, secondaryWaitMs: opts.secondaryWaitMs }, logger, () => this.changed());
    this.status = new StatusWriter(apis, logger, metrics);
    const lease: LeaseOptions = {
      ...opts.lease,
      name: opts.lease?.name ?? DEFAULT_LEASE_NAME,
      namespace: opts.namespace,
      identity: opts.identity,
      metricPrefix: 'nm_config_sync',
      leaderRole: 'this replica writes the configuration',
    };
    this.elector = new LeaseElector(apis.coordination, lease, logger, metrics, {
      onStartedLeading: () => {
        this.dirty = true;
        this.schedule(0);
        this.leadership.onStartedLeading?.();
      },
      onStoppedLeading: () => this.leadership.onStoppedLeading?.(),
    });
  }

  /** True once the configuration was read from the API server (every custom kind listed). */
  get listed(): boolean {
    return this.mirroredOnce || this.source.state().ready;
  }

  isLeader(): boolean {
    return this.elector.isLeader();
  }

  start(): void {
    this.source.start();
    this.elector.start();
    this.poll = setInterval(() => void this.tick(), this.pollMs);
    this.poll.unref();
  }

  /** Stops watching and electing; the lease is released unless `releaseLease` is false. */
  async stop(opts: { releaseLease?: boolean } = {}): Promise<void> {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    if (this.debounce) clearTimeout(this.debounce);
    await this.running?.catch(() => undefined);
    await this.source.stop();
    await this.elector.stop(opts.releaseLease ?? true);
  }

  /** Runs a sync now (or right after the one in progress) and resolves when it is done. */
  syncNow(): Promise<void> {
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.running = this.sync().finally(() => {
      this.running = undefined;
      if (this.rerun && !this.stopped) {
        this.rerun = false;
        void this.syncNow();
      }
    });
    return this.running;
  }

  private changed(): void {
    this.dirty = true;
    this.schedule(this.debounceMs);
  }

  private schedule(ms: number): void {
    if (this.stopped || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.syncNow();
    }, ms);
  }

  /** Periodic: retries pending work and re-mirrors when Redis lost the configuration. */
  private async tick(): Promise<void> {
    if (this.stopped || this.running || !this.elector.isLeader()) return;
    if (this.dirty || this.status.pending) {
      await this.syncNow();
      return;
    }
    try {
      if (await this.mirror.hasContent()) return;
      this.logger.warn('Redis holds no configuration (restarted empty or flushed): mirroring everything again');
      this.dirty = true;
      await this.syncNow();
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'Redis check failed; will retry');
    }
  }

  private async sync(): Promise<void> {
    this.source.reconcile();
    const state = this.source.state();
    if (!state.ready) {
      const waiting = state.waiting.join(', ');
      if (waiting !== this.lastWaiting) this.logger.info({ waiting: state.waiting }, 'waiting for the first list before mirroring; Redis keeps the last configuration');
      this.lastWaiting = waiting;
      return;
    }
    if (state.waiting.length > 0 && state.waiting.join(', ') !== this.lastWaiting) {
      this.logger.warn({ waiting: state.waiting }, 'mirroring without watches that could not list yet');
    }
    this.lastWaiting = state.waiting.join(', ');
    if (!this.elector.isLeader()) return; // followers keep their caches warm and write nothing
    this.dirty = false;
    const snap = this.source.snapshot();
    const validated = validateObjects(snap.inputs, { defaultNamespace: snap.defaultNamespace });
    // Readers resolve references without a namespace in `defaultSecretNamespace || default`;
    // here they mean this namespace, so the mirrored objects name it.
    const objects: LoadedObject[] = validated.objects.map((o) =>
      NAMESPACED_KINDS.has(o.kind) ? o : { ...o, object: qualifyReferences<CrdObject>(o.object, snap.defaultNamespace) },
    );
    const manifests: LoadResult = { objects, problems: validated.problems };
    try {
      if (!this.elector.isLeader()) {
        this.dirty = true;
        return;
      }
      await this.mirror.mirror(manifests, { source: 'kubernetes' });
      this.mirroredOnce = true;
    } catch (err) {
      this.dirty = true;
      this.logger.error({ err: (err as Error).message }, 'configuration sync failed; will retry');
      return;
    }
    if (this.opts.writeStatus === false) return;
    await this.status.write(snap.customObjects, validated.problems, () => this.elector.isLeader());
  }
}
