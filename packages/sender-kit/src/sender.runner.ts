/**
 * The generic sender service: consumes `nm.notify.<channel>` with the channel's durable consumer
 * and hands each notification to {@link NotificationDelivery}, which sends it through the app's
 * `ChannelSender`. Its parts: the delivery lease (`delivery.lease.ts`), the delivery itself
 * (`notification.delivery.ts`), history (`history.writer.ts`) and metrics (`sender.metrics.ts`).
 */
import { setMaxListeners } from 'node:events';
import { startConsumer } from '@nm/bus';
import { NotificationSchema, senderConsumer, payloadShapes } from '@nm/contracts';
import { ingestActivity, type Runtime } from '@nm/service-kit';
import { DEFAULT_DELIVERED_TTL_SECONDS, DEFAULT_LEASE_MS, DeliveredStore } from './delivered.store.js';
import { DeliveryLeases } from './delivery.lease.js';
import { HistoryWriter } from './history.writer.js';
import { NotificationDelivery } from './notification.delivery.js';
import { RevisionCache } from './revision.cache.js';
import { senderMetrics } from './sender.metrics.js';
import type { SenderHandle, SenderServiceOptions, SenderSpec } from './sender.types.js';

export const SENDER_DEFAULTS = {
  maxAttempts: 12,
  // A notification waits on four round trips (claim, upstream, history, done mark); 16 at once left
  // a sender sharing its event loop with other stages idle between them (single process: +8–12 %
  // throughput at 32, little more at 64; docs/performance.md, sixth round). A channel can default
  // lower (`SenderApp.concurrency`: email 16).
  concurrency: 32,
  deliveredTtlSeconds: DEFAULT_DELIVERED_TTL_SECONDS,
  stopTimeoutMs: 10_000,
} as const;

/** Test and tuning knobs that are not part of the service contract. */
export interface SenderInternals {
  /** Lease of a claimed notification (default 10 s, renewed every third of it; a crashed holder blocks a copy at most this long). */
  leaseMs?: number;
  /** How long a copy waits for another replica's delivery of the same notification (default 2 leases). */
  busyWaitMs?: number;
}

/**
 * The consume loop's `slots` for a sender with `concurrency`, at most `beside` at once while ingest
 * on this thread answers requests (its answers wait behind every round trip in flight); undefined
 * when that limits nothing.
 */
export function slotsBesideIngest(concurrency: number, beside: number | undefined): (() => number) | undefined {
  if (beside === undefined || beside >= concurrency) return undefined;
  return () => (ingestActivity.busy() ? beside : concurrency);
}

export async function startSender<Target>(rt: Runtime, spec: SenderSpec<Target>, opts: SenderServiceOptions & SenderInternals = {}): Promise<SenderHandle> {
  const { channel } = spec.sender;
  const maxAttempts = opts.maxAttempts ?? SENDER_DEFAULTS.maxAttempts;
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const store = new DeliveredStore(rt.redis, opts.deliveredTtlSeconds ?? SENDER_DEFAULTS.deliveredTtlSeconds, leaseMs);
  const metrics = senderMetrics(rt.metrics, channel);
  const abort = new AbortController();
  // every in-flight delivery listens on this one signal
  setMaxListeners(0, abort.signal);
  const delivery = new NotificationDelivery({
    spec,
    config: rt.config,
    cache: new RevisionCache({
      onProblems: (revision, problems) => rt.logger.warn({ channel, revision, problems: problems.map((p) => p.message) }, 'template configuration problems'),
      onMissingConfigMap: (revision, ref) => rt.logger.warn({ channel, revision, ref }, 'template ConfigMap not found'),
    }),
    leases: new DeliveryLeases(store, { leaseMs, busyWaitMs: opts.busyWaitMs ?? 2 * leaseMs, instance: rt.instance }),
    store,
    history: new HistoryWriter(rt.publisher, channel, () => metrics.historyFailed()),
    metrics,
    maxAttempts,
    stopping: abort.signal,
    apiSends: rt.secretBox,
    reply: (subject, outcome) => {
      const bus = rt.bus();
      try {
        if (!bus?.isConnected()) throw new Error('NATS is not connected');
        bus.nc.publish(subject, JSON.stringify(outcome));
      } catch (err) {
        // the caller then answers with its timeout; the delivery itself is recorded in history
        rt.logger.warn({ err: (err as Error).message, subject }, 'outcome of an API send not published');
      }
    },
  });

  // Registered first, so it runs after the sender stopped (close hooks run last-registered first).
  if (spec.sender.close) rt.onClose(() => spec.sender.close?.());
  const bus = await rt.connected;
  const concurrency = opts.concurrency ?? SENDER_DEFAULTS.concurrency;
  const slots = slotsBesideIngest(concurrency, opts.concurrencyBesideIngest);
  const consumer = await startConsumer(bus, rt.publisher, rt.logger, rt.metrics, {
    consumer: senderConsumer(channel),
    attempts: rt.attempts,
    schema: NotificationSchema,
    quickCheck: payloadShapes.notification,
    handler: delivery.handle,
    dlqStage: `sender-${channel}`,
    concurrency,
    ...(slots ? { slots } : {}),
    maxAttempts,
    ...(opts.backoffBaseMs === undefined ? {} : { backoffBaseMs: opts.backoffBaseMs }),
    ...(opts.backoffMaxMs === undefined ? {} : { backoffMaxMs: opts.backoffMaxMs }),
  });
  rt.logger.info({ channel, consumer: senderConsumer(channel).durable, maxAttempts }, 'sender started');

  let stopping: Promise<void> | undefined;
  const stop = (timeoutMs: number = SENDER_DEFAULTS.stopTimeoutMs): Promise<void> => {
    stopping ??= (async () => {
      await consumer.stop(timeoutMs);
      abort.abort(new Error('sender stopped'));
    })();
    return stopping;
  };
  rt.onClose(() => stop());
  return { stop, inFlight: () => consumer.inFlight() };
}
