import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { streams } from '@nm/contracts';
import { BusUnavailableError, createStreamReader, type StreamReader } from '@nm/bus';
import { aliveServices } from '@nm/config-store';
import type { Runtime } from '@nm/service-kit';
import type { IngestLimits } from './alert.normalize.js';
import { createIngestApp } from './ingest.app.js';
import { redisReceiptStore } from './receipt.store.js';
import { cachedStreamFill } from './stream.fill.js';

export interface IngestOptions {
  port: number;
  host?: string;
  maxBodyBytes?: number;
  /** Services whose heartbeat `/-/ready` waits for (the whole pipeline, by default). */
  readyRequires?: readonly string[];
  /** Input limits; unset ones keep the defaults (`DEFAULT_INGEST_LIMITS`). */
  limits?: Partial<IngestLimits>;
  /** Identical bodies within this window are one receipt, ms (default 30 s; 0 = off). */
  dedupWindowMs?: number;
  /** How long an `Idempotency-Key` is remembered, ms (default 24 h; 0 = the header is ignored). */
  idempotencyTtlMs?: number;
  /** Fraction of NM_INGESTED's max_bytes / max_msgs from which POSTs are answered 503 (default 0.9). */
  highWater?: number;
  /** `Retry-After` of 503 answers, seconds (default 5). */
  retryAfterSeconds?: number;
  /** How long NM_INGESTED's stream info is reused by the high-water check, ms (default 500). */
  streamInfoCacheMs?: number;
}

export const DEFAULT_READY_REQUIRES = ['config-sync', 'silencer', 'router', 'aggregator', 'sender-webhook'] as const;

export async function startIngest(rt: Runtime, opts: IngestOptions): Promise<{ port: number; stop(): Promise<void> }> {
  const requires = opts.readyRequires ?? DEFAULT_READY_REQUIRES;
  if (requires.length > 0) {
    rt.health.addCheck({
      name: `services(${requires.join(',')})`,
      check: async () => {
        const alive = await aliveServices(rt.redis);
        return requires.every((s) => alive.has(s));
      },
    });
  }
  let reader: { jsm: unknown; reader: StreamReader } | undefined;
  const streamReader = (): StreamReader => {
    const bus = rt.bus();
    if (!bus?.isConnected()) throw new BusUnavailableError('NATS is not connected');
    if (reader?.jsm !== bus.jsm) reader = { jsm: bus.jsm, reader: createStreamReader(bus.jsm) };
    return reader.reader;
  };
  const app = createIngestApp({
    publisher: rt.publisher,
    logger: rt.logger,
    metrics: rt.metrics,
    health: rt.health,
    snapshot: () => rt.config.current(),
    maxBodyBytes: opts.maxBodyBytes ?? 16 * 1024 * 1024,
    maxMessageBytes: 1024 * 1024,
    streamReader,
    receipts: redisReceiptStore(rt.redis),
    streamFill: cachedStreamFill(
      () => {
        const bus = rt.bus();
        return bus?.isConnected() ? bus.jsm : undefined;
      },
      streams.ingested.name,
      {
        cacheMs: opts.streamInfoCacheMs,
        onError: (err) => rt.logger.debug({ err: err.message }, 'stream info failed, high-water check skipped'),
      },
    ),
    limits: opts.limits,
    dedupWindowMs: opts.dedupWindowMs,
    idempotencyTtlMs: opts.idempotencyTtlMs,
    highWater: opts.highWater,
    retryAfterSeconds: opts.retryAfterSeconds,
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(opts.port, opts.host ?? '0.0.0.0', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const port = (server.address() as AddressInfo).port;
  rt.logger.info({ port }, 'ingest listening');
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
