import { makeInformer, type Informer, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import type { Logger } from '@nm/telemetry';
import { describeError, statusOf, type KubeApis } from './kube.client.js';
import { collectionPath, listFnOf, type WatchedKind } from './kube.resources.js';

export interface BackoffOptions {
  /** First restart delay after an error (default 1 s). */
  initialMs?: number;
  /** Longest restart delay (default 30 s). */
  maxMs?: number;
}

/**
 * One informer (list, then watch) of a kind, in one namespace or cluster-wide, kept running:
 * client-node re-watches from the last resourceVersion when a watch ends cleanly and relists after
 * a 410, but stops on any other error (a 500, a refused connection); this restarts it with
 * exponential backoff, resuming from the last resourceVersion. The cache is kept through errors,
 * so the last good state stays available while the API server is away. A 404 on the list (the
 * kind's CRD is not installed) counts as an empty, listed kind and is retried at the longest delay.
 */
export class ResourceWatcher {
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
  readonly description: string;

  constructor(
    private readonly apis: KubeApis,
    readonly kind: WatchedKind,
    readonly namespace: string | undefined,
    private readonly logger: Logger,
    /** Called (synchronously) whenever the cache may have changed. */
    private readonly onChange: () => void,
    backoff: BackoffOptions = {},
  ) {
    this.initialMs = backoff.initialMs ?? 1000;
    this.maxMs = backoff.maxMs ?? 30_000;
    this.delayMs = this.initialMs;
    this.description = namespace !== undefined ? `${kind.plural} in ${namespace}` : kind.plural;
  }

  /** True once a list succeeded (or showed that the kind does not exist). */
  get listed(): boolean {
    return this.listedOnce;
  }

  start(): void {
    const list = listFnOf(this.apis, this.kind, this.namespace);
    const informer = makeInformer(this.apis.kc, collectionPath(this.kind, this.namespace), async () => {
      try {
        const result = await list();
        this.recovered();
        this.absent = false;
        this.listedOnce = true;
        this.onChange();
        return result;
      } catch (err) {
        if (statusOf(err) === 404 && !this.absent) {
          this.absent = true;
          this.listedOnce = true;
          this.logger.warn({ resource: this.description }, `${this.kind.kind} is not served by the API server (is its CRD installed?); treated as empty, checking again later`);
          this.onChange();
        }
        throw err;
      }
    });
    const changed = (): void => {
      this.recovered();
      this.onChange();
    };
    informer.on('add', changed);
    informer.on('update', changed);
    informer.on('delete', changed);
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
