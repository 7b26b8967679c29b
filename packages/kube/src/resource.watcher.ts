import { makeInformer, type Informer, type KubeConfig, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import type { Logger } from '@nm/telemetry';
import { describeError, statusOf, type ListFn } from './kube.config.js';

export interface BackoffOptions {
  /** First restart delay after an error (default 1 s). */
  initialMs?: number;
  /** Longest restart delay (default 30 s). */
  maxMs?: number;
}

/** What one watcher lists and watches. `kind` is the caller's own description of the resource, kept as given. */
export interface WatchTarget<K> {
  kind: K;
  /** The kind's name for messages (`Receiver`, `Event`). */
  kindName: string;
  /** One namespace, or undefined for all namespaces (or a cluster-scoped kind). */
  namespace: string | undefined;
  /** The list/watch path, e.g. `/api/v1/events` or `/apis/<group>/<version>/namespaces/<ns>/<plural>`. */
  path: string;
  /** The typed list call of the same collection. */
  list: ListFn;
  /** For logs: `receivers`, `secrets in team-a` (default: the path). */
  description?: string;
}

/**
 * What changed. `add`/`update`/`delete` carry the object as the informer holds it now (the last
 * state for a delete); `listed` follows a successful list (the cache is being replaced by it) or
 * a list that showed the kind is not served.
 */
export type WatchChange =
  | { type: 'add' | 'update' | 'delete'; object: KubernetesObject }
  | { type: 'listed' };

/**
 * One informer (list, then watch) of a kind, in one namespace or cluster-wide, kept running:
 * client-node re-watches from the last resourceVersion when a watch ends cleanly and relists after
 * a 410 (only objects that are new or changed since are reported again), but stops on any other
 * error (a 500, a refused connection); this restarts it with exponential backoff, resuming from the
 * last resourceVersion. The cache is kept through errors, so the last good state stays available
 * while the API server is away. A 404 on the list (the kind's CRD is not installed) counts as an
 * empty, listed kind and is retried at the longest delay.
 */
export class ResourceWatcher<K = unknown> {
  private informer: (Informer<KubernetesObject> & ObjectCache<KubernetesObject>) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private delayMs: number;
  private lastError = '';
  private absent = false;
  private listedOnce = false;
  readonly startedAt = Date.now();
  private readonly initialMs: number;
  private readonly maxMs: number;
  readonly kind: K;
  readonly namespace: string | undefined;
  readonly description: string;

  constructor(
    private readonly kc: KubeConfig,
    private readonly target: WatchTarget<K>,
    private readonly logger: Logger,
    /** Called (synchronously) whenever the cache may have changed. */
    private readonly onChange: (change: WatchChange) => void,
    backoff: BackoffOptions = {},
  ) {
    this.initialMs = backoff.initialMs ?? 1000;
    this.maxMs = backoff.maxMs ?? 30_000;
    this.delayMs = this.initialMs;
    this.kind = target.kind;
    this.namespace = target.namespace;
    this.description = target.description ?? target.path;
  }

  /** True once a list succeeded (or showed that the kind does not exist). */
  get listed(): boolean {
    return this.listedOnce;
  }

  start(): void {
    const list = this.target.list;
    const informer = makeInformer(this.kc, this.target.path, async () => {
      try {
        const result = await list();
        this.recovered();
        this.absent = false;
        this.listedOnce = true;
        this.onChange({ type: 'listed' });
        return result;
      } catch (err) {
        if (statusOf(err) === 404 && !this.absent) {
          this.absent = true;
          this.listedOnce = true;
          this.logger.warn({ resource: this.description }, `${this.target.kindName} is not served by the API server (is its CRD installed?); treated as empty, checking again later`);
          this.onChange({ type: 'listed' });
        }
        throw err;
      }
    });
    const changed =
      (type: 'add' | 'update' | 'delete') =>
      (object: KubernetesObject): void => {
        this.recovered();
        this.onChange({ type, object });
      };
    informer.on('add', changed('add'));
    informer.on('update', changed('update'));
    informer.on('delete', changed('delete'));
    informer.on('error', (err: unknown) => this.failed(err));
    this.informer = informer;
    this.run();
  }

  /** The objects in the cache (none while the kind is not served). */
  list(): readonly KubernetesObject[] {
    if (this.absent || !this.informer) return [];
    return this.informer.list(this.namespace);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.informer?.stop();
  }

  private run(): void {
    if (this.stopped || !this.informer) return;
    this.informer.start().catch((err: unknown) => this.failed(err));
  }

  private recovered(): void {
    if (this.lastError !== '') this.logger.info({ resource: this.description }, 'watching again');
    this.lastError = '';
    this.delayMs = this.initialMs;
  }

  private failed(err: unknown): void {
    if (this.stopped) return;
    const text = describeError(err);
    const delay = this.absent ? this.maxMs : this.delayMs;
    if (text !== this.lastError && !this.absent) {
      this.logger.warn({ resource: this.description, err: text, retryInMs: delay }, 'list/watch failed; keeping the last state and retrying');
    }
    this.lastError = text;
    this.delayMs = Math.min(this.maxMs, this.delayMs * 2);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, delay);
    this.timer.unref();
  }
}
