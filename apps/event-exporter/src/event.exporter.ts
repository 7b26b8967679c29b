import { createHash } from 'node:crypto';
import { newTraceparent, payloadLimit, type Publisher } from '@nm/bus';
import type { Alert } from '@nm/contracts';
import { chunkAlerts, normalizeAlertItems, publishIngested } from '@nm/intake';
import {
  effectiveSettings,
  kubeEventAlertFields,
  kubeEventRules,
  matchesKubeEventFilter,
  needsObjectLabels,
  occurrenceOf,
  readKubeEvent,
  ruleLabelsOf,
  type ConfigSnapshot,
  type KubeEventFacts,
  type KubeEventFilter,
  type KubeEventView,
  type Labels,
} from '@nm/model';
import type { Logger, Metrics } from '@nm/telemetry';
import type { ObjectLabelReader } from './object.labels.js';
import type { OccurrenceRecord, OccurrenceStore } from './occurrence.store.js';

export interface EventExporterOptions {
  /** At most one alert per event per this interval, ms (`NM_EVENTS_INTERVAL`, default 5 m). */
  intervalMs?: number;
  /** Occurrences older than this are not exported, ms (`NM_EVENTS_MAX_AGE`, default 1 h). */
  maxAgeMs?: number;
  /**
   * At the very first start (no watermark in Redis yet), occurrences older than this before the
   * start are history, not news, ms (default 60 s).
   */
  initialLookbackMs?: number;
  /** How long events are collected into one message batch, ms (default 200). */
  flushMs?: number;
  /** Most events handled in one batch (default 500). */
  maxBatch?: number;
}

export interface EventExporterDeps {
  publisher: Publisher;
  store: OccurrenceStore;
  snapshot: () => ConfigSnapshot;
  /** False until the configuration (EventRules) is loaded: nothing is decided before. */
  configLoaded: () => boolean;
  /** Only the leader exports. */
  isLeader: () => boolean;
  /** Labels of an involved object, for `involvedObjectSelector` (without it such rules never match). */
  objectLabels?: ObjectLabelReader;
  logger: Logger;
  metrics: Metrics;
  now?: () => number;
}

/** What happened to the events of one flush. */
export interface FlushOutcome {
  exported: number;
  filtered: number;
  suppressed: number;
  duplicate: number;
  stale: number;
  invalid: number;
}

const OUTCOMES = ['exported', 'filtered', 'suppressed', 'duplicate', 'stale', 'invalid'] as const;

const sha = (text: string, n: number): string => createHash('sha256').update(text).digest('hex').slice(0, n);

/**
 * Turns Kubernetes events into alerts on `nm.alerts.ingested`, as ingest publishes a POST.
 *
 * Every add or update the informers see is offered; the leader collects them for `flushMs` and
 * handles them as one batch: occurrences older than the watermark or `maxAgeMs` are dropped
 * (stale), the EventRules decide (filtered), Redis tells whether this occurrence of the event
 * (`count@lastTime`) was handled already (duplicate: a relist, a restart, a second API) or whether
 * an alert was emitted for the event less than `intervalMs` ago (suppressed: recorded, not sent;
 * the next alert carries the grown count). The rest is published as one IngestedBatch (chunked
 * under `max_payload`), then recorded. A batch whose publish fails goes back to the queue and is
 * retried with backoff; nothing leaves the queue unpublished except by a decision counted in
 * `nm_events_total{outcome}`.
 *
 * Ids: an alert's id is a hash of the event's uid and occurrence; the batch id (and the message
 * ids `ev-<hash>-<chunk>`) a hash of the batch's occurrences, so a batch retried after a failed
 * publish is dropped by JetStream where it was stored already. A crash between JetStream's ack and
 * the Redis record sends those occurrences once more after the restart (at most one batch).
 */
export class EventExporter {
  private readonly pending = new Map<string, KubeEventView>();
  private readonly unrecorded: Array<{ uid: string } & OccurrenceRecord> = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private backoffMs = 0;
  private watermark: number | undefined;
  private readonly intervalMs: number;
  private readonly maxAgeMs: number;
  private readonly initialLookbackMs: number;
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private readonly now: () => number;
  private readonly outcomes;
  private readonly received;
  private readonly failures;
  private readonly queued;

  constructor(
    private readonly deps: EventExporterDeps,
    opts: EventExporterOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 5 * 60_000;
    this.maxAgeMs = opts.maxAgeMs ?? 3_600_000;
    this.initialLookbackMs = opts.initialLookbackMs ?? 60_000;
    this.flushMs = opts.flushMs ?? 200;
    this.maxBatch = opts.maxBatch ?? 500;
    this.now = deps.now ?? Date.now;
    const m = deps.metrics;
    this.outcomes = m.counter('nm_events_total', 'Kubernetes event occurrences handled, by outcome (exported, filtered, suppressed, duplicate, stale, invalid)', ['outcome'] as const);
    this.received = m.counter('nm_events_received_total', 'Kubernetes event adds and updates seen by the informers, by API', ['api'] as const);
    this.failures = m.counter('nm_events_failures_total', 'Event batches that could not be handled (publish or Redis failed) and were queued again', ['stage'] as const);
    this.queued = m.gauge('nm_events_queued', 'Kubernetes events waiting to be handled');
  }

  /** How long an occurrence record must live: as long as its event can still be exported. */
  get recordTtlMs(): number {
    return this.maxAgeMs + this.intervalMs + 10 * 60_000;
  }

  /** An add or update seen by an informer. Ignored unless this replica leads. */
  offer(raw: unknown, api = 'core/v1'): void {
    this.received.inc({ api });
    if (!this.deps.isLeader()) return;
    const view = readKubeEvent(raw);
    if (!view) return;
    this.pending.set(view.uid, view);
    this.queued.set(this.pending.size);
    this.kick();
  }

  /** Offers every cached event again (on becoming the leader: what the previous one left is still decided by Redis). */
  resync(objects: Iterable<unknown>): void {
    for (const o of objects) {
      const view = readKubeEvent(o);
      if (view) this.pending.set(view.uid, view);
    }
    this.queued.set(this.pending.size);
    this.kick();
  }

  /** Forgets the queue (on losing the leadership: the new leader decides). */
  clear(): void {
    this.pending.clear();
    this.queued.set(0);
  }

  get queueLength(): number {
    return this.pending.size;
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private kick(): void {
    if (this.stopped || this.timer || this.running) return;
    if (this.pending.size === 0 && this.unrecorded.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.flush()
        .then(() => {
          this.backoffMs = 0;
        })
        .catch((err: unknown) => {
          this.backoffMs = Math.min(30_000, Math.max(1000, this.backoffMs * 2));
          this.deps.logger.warn({ err: (err as Error).message, retryInMs: this.backoffMs, queued: this.pending.size }, 'event batch failed; queued again');
        })
        .finally(() => {
          this.running = undefined;
          this.kick();
        });
    }, this.backoffMs || this.flushMs);
    this.timer.unref();
  }

  /** Handles one batch of the queue now. Rejects (the batch queued again) when publishing or Redis failed. */
  async flush(): Promise<FlushOutcome> {
    const outcome: FlushOutcome = { exported: 0, filtered: 0, suppressed: 0, duplicate: 0, stale: 0, invalid: 0 };
    if (!this.deps.isLeader() || !this.deps.configLoaded()) return outcome;
    if (this.unrecorded.length > 0) {
      await this.deps.store.record(this.unrecorded, this.recordTtlMs).catch((err: unknown) => {
        this.failures.inc({ stage: 'record' });
        throw err;
      });
      this.unrecorded.length = 0;
    }
    if (this.pending.size === 0) return outcome;
    const batch: KubeEventView[] = [];
    for (const [uid, view] of this.pending) {
      if (batch.length >= this.maxBatch) break;
      batch.push(view);
      this.pending.delete(uid);
    }
    this.queued.set(this.pending.size);
    try {
      await this.handle(batch, outcome);
    } catch (err) {
      // Back to the queue, unless a newer state of the event arrived meanwhile.
      for (const v of batch) if (!this.pending.has(v.uid)) this.pending.set(v.uid, v);
      this.queued.set(this.pending.size);
      throw err;
    }
    for (const k of OUTCOMES) if (outcome[k] > 0) this.outcomes.inc({ outcome: k }, outcome[k]);
    if (outcome.exported > 0) this.deps.logger.debug({ ...outcome }, 'events exported');
    return outcome;
  }

  private async handle(batch: readonly KubeEventView[], outcome: FlushOutcome): Promise<void> {
    const now = this.now();
    if (this.watermark === undefined) {
      this.watermark = await this.deps.store.watermark(now - this.initialLookbackMs).catch((err: unknown) => {
        this.failures.inc({ stage: 'redis' });
        throw err;
      });
    }
    const floor = Math.max(this.watermark, now - this.maxAgeMs);
    const snapshot = this.deps.snapshot();
    const rules = kubeEventRules(snapshot);
    const selected: Array<{ view: KubeEventView; labels: Record<string, string> }> = [];
    for (const view of batch) {
      if (Date.parse(view.lastTime) < floor) {
        outcome.stale += 1;
        continue;
      }
      const labels = await this.ruleLabels(rules, view);
      if (!labels) {
        outcome.filtered += 1;
        continue;
      }
      selected.push({ view, labels });
    }
    if (selected.length === 0) return;

    const known = await this.deps.store.get(selected.map((s) => s.view.uid)).catch((err: unknown) => {
      this.failures.inc({ stage: 'redis' });
      throw err;
    });
    const record: Array<{ uid: string } & OccurrenceRecord> = [];
    const emit: typeof selected = [];
    for (const s of selected) {
      const occurrence = occurrenceOf(s.view);
      const prev = known.get(s.view.uid);
      if (prev?.o === occurrence) {
        outcome.duplicate += 1;
      } else if (prev && now - prev.at < this.intervalMs) {
        outcome.suppressed += 1;
        record.push({ uid: s.view.uid, o: occurrence, at: prev.at });
      } else {
        emit.push(s);
        record.push({ uid: s.view.uid, o: occurrence, at: now });
      }
    }

    if (emit.length > 0) {
      const receivedAt = new Date(now);
      const settings = effectiveSettings(snapshot.notificationManager);
      const items = emit.map(({ view, labels }) => {
        const fields = kubeEventAlertFields(view);
        return { labels: { ...fields.labels, ...labels }, annotations: fields.annotations, startsAt: fields.startsAt };
      });
      const normalized = normalizeAlertItems(items, { now: receivedAt, cluster: settings.cluster, prefix: 'events' });
      if (normalized.problems.length > 0) {
        outcome.invalid += normalized.total - normalized.alerts.length;
        this.deps.logger.warn({ problems: normalized.problems.slice(0, 5) }, 'events that make no valid alert were dropped');
      }
      const keys = normalized.indexes.map((i) => `${emit[i]!.view.uid}:${occurrenceOf(emit[i]!.view)}`);
      const alerts: Alert[] = normalized.alerts.map((a, k) => ({ ...a, id: sha(keys[k]!, 16) }));
      const maxBytes = payloadLimit(this.deps.publisher) - 4096;
      const { chunks, alertsJson, oversized } = chunkAlerts(alerts, maxBytes);
      if (oversized.length > 0) {
        outcome.invalid += oversized.length;
        this.deps.logger.warn({ events: oversized.map((i) => keys[i]) }, 'events larger than a message were dropped');
      }
      if (chunks.length > 0) {
        const batchId = `ev-${sha([...keys].sort().join('\n'), 24)}`;
        await publishIngested(this.deps.publisher, { batchId, source: 'api', receivedAt: receivedAt.toISOString() }, chunks, { alertsJson, traceparent: newTraceparent() }).catch(
          (err: unknown) => {
            this.failures.inc({ stage: 'publish' });
            throw err;
          },
        );
      }
      outcome.exported += alerts.length - oversized.length;
    }
    try {
      await this.deps.store.record(record, this.recordTtlMs);
    } catch (err) {
      // Published already: keep the records for the next flush rather than publishing again.
      this.unrecorded.push(...record);
      this.failures.inc({ stage: 'record' });
      this.deps.logger.warn({ err: (err as Error).message }, 'could not record exported events; retrying before the next batch');
    }
  }

  /** The labels of the EventRules that select the event, or undefined when none does. */
  private async ruleLabels(rules: ReturnType<typeof kubeEventRules>, view: KubeEventView): Promise<Record<string, string> | undefined> {
    const facts: KubeEventFacts = { type: view.type, reason: view.reason, namespace: view.objectNamespace, kind: view.kind };
    const matched = new Set<KubeEventFilter>();
    let objectLabels: Labels | undefined | null = null;
    for (const r of rules.rules) {
      if (!needsObjectLabels(r.filter)) {
        if (matchesKubeEventFilter(r.filter, facts)) matched.add(r.filter);
        continue;
      }
      if (!matchesKubeEventFilter({ ...r.filter, involvedObjectSelector: undefined }, facts)) continue;
      if (objectLabels === null) {
        objectLabels = this.deps.objectLabels
          ? await this.deps.objectLabels({ apiVersion: view.objectApiVersion, kind: view.kind, name: view.objectName, namespace: view.objectNamespace })
          : undefined;
      }
      if (matchesKubeEventFilter(r.filter, facts, objectLabels)) matched.add(r.filter);
    }
    return ruleLabelsOf(rules, (f) => matched.has(f))?.labels;
  }
}
