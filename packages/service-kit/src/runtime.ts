import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { allConsumers, LEGACY_STREAMS, streamsFromEnv, type StreamDefinition } from '@nm/contracts';
import {
  BusUnavailableError,
  connectBus,
  createPublisher,
  DEFAULT_MAX_PAYLOAD,
  provision,
  redisAttemptStore,
  type AttemptStore,
  type BusConnection,
  type Publisher,
} from '@nm/bus';
import { ConfigStoreReader, SecretBox, parsePreviousKeys, startHeartbeat } from '@nm/config-store';
import { createHealth, createLogger, flushTraces, initTracing, Metrics, type Health, type Logger } from '@nm/telemetry';

export interface RuntimeOptions {
  service: string;
  natsUrl: string;
  redisUrl: string;
  secretKey: string;
  /** `NM_SECRET_KEY_PREVIOUS`: keys still accepted for reading during a rotation (comma-separated). */
  previousSecretKeys?: string | undefined;
  logLevel?: string;
  /** Read mirrored configuration (every service except config-sync). */
  readConfig?: boolean;
  /** Share one logger/metrics registry (single-process mode). */
  logger?: Logger;
  metrics?: Metrics;
  /** Streams to provision (default: the contracts' definitions with `NM_STREAM_*` limits from the environment). */
  streams?: readonly StreamDefinition[];
}

/** Connections and observability shared by the code of one service. */
export interface Runtime {
  readonly service: string;
  readonly instance: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly health: Health;
  readonly redis: Redis;
  readonly secretBox: SecretBox;
  readonly config: ConfigStoreReader;
  /** Publishes through JetStream; rejects with BusUnavailableError until NATS is connected. */
  readonly publisher: Publisher;
  /** Resolves once NATS is connected and streams/consumers are provisioned. */
  readonly connected: Promise<BusConnection>;
  /** Spent retry attempts per message, in Redis (shared by replicas, kept across restarts). */
  readonly attempts: AttemptStore;
  /** Resolves once the first configuration snapshot is loaded (stages consume only after it). */
  configLoaded(): Promise<void>;
  bus(): BusConnection | undefined;
  /** Registers cleanup run by close(), last registered first. */
  onClose(fn: () => Promise<void> | void): void;
  close(): Promise<void>;
}

export function createRuntime(opts: RuntimeOptions): Runtime {
  const instance = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  // Traces, when OTEL_EXPORTER_OTLP_ENDPOINT is set: once per process (the single-process mode starts it first).
  initTracing({ serviceName: opts.service });
  const logger = opts.logger ?? createLogger(opts.service, opts.logLevel);
  const metrics = opts.metrics ?? new Metrics(opts.service);
  const health = createHealth();
  const closers: Array<() => Promise<void> | void> = [];
  const abort = new AbortController();

  const redisOpts = { maxRetriesPerRequest: 3, enableOfflineQueue: true, retryStrategy: (n: number) => Math.min(2000, n * 100) };
  // Commands issued in the same event-loop turn (concurrent handlers) go out in one write.
  const redis = new Redis(opts.redisUrl, { ...redisOpts, enableAutoPipelining: true });
  redis.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis error'));
  const secretBox = new SecretBox(opts.secretKey, parsePreviousKeys(opts.previousSecretKeys));
  const subscriber = opts.readConfig === false ? undefined : new Redis(opts.redisUrl, redisOpts);
  subscriber?.on('error', () => undefined);
  const config = new ConfigStoreReader(redis, subscriber, secretBox, logger);

  const streamDefs = opts.streams ?? streamsFromEnv(process.env);
  let bus: BusConnection | undefined;
  const connected = (async () => {
    const b = await connectBus({ url: opts.natsUrl, name: `${opts.service}:${instance}`, logger, signal: abort.signal });
    for (let attempt = 1; ; attempt++) {
      try {
        await provision(b.jsm, { streams: streamDefs, consumers: allConsumers, legacyStreams: LEGACY_STREAMS });
        break;
      } catch (err) {
        if (attempt >= 20) throw err;
        logger.warn({ err: (err as Error).message, attempt }, 'provisioning failed, retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    bus = b;
    return b;
  })();
  connected.catch((err: unknown) => logger.error({ err: (err as Error).message }, 'nats connection failed'));

  const inner = (): Publisher | undefined => (bus ? createPublisher(bus) : undefined);
  let cachedPublisher: Publisher | undefined;
  const publisher: Publisher = {
    maxPayload: () => bus?.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD,
    publish: async (subject, payload, o) => {
      cachedPublisher ??= inner();
      if (!cachedPublisher || !bus?.isConnected()) throw new BusUnavailableError('NATS is not connected');
      return cachedPublisher.publish(subject, payload, o);
    },
  };

  health.addCheck({ name: 'nats', check: () => bus?.isConnected() ?? false });
  health.addCheck({ name: 'redis', check: () => redis.status === 'ready' });
  if (opts.readConfig !== false) {
    health.addCheck({ name: 'config (no configuration snapshot in Redis yet: is config-sync running?)', check: () => config.isLoaded() });
    void config.start();
  }
  const stopBeat = startHeartbeat(redis, opts.service, instance);

  return {
    service: opts.service,
    instance,
    logger,
    metrics,
    health,
    redis,
    secretBox,
    config,
    publisher,
    connected,
    attempts: redisAttemptStore(redis),
    configLoaded: async () => {
      let logged = false;
      while (!config.isLoaded()) {
        if (abort.signal.aborted) throw new Error('stopped before the configuration was loaded');
        if (!logged) {
          logger.info('waiting for the configuration snapshot before consuming (config-sync mirrors it into Redis)');
          logged = true;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    bus: () => bus,
    onClose: (fn) => void closers.push(fn),
    close: async () => {
      abort.abort();
      for (const fn of closers.reverse()) {
        try {
          await fn();
        } catch (err) {
          logger.warn({ err: (err as Error).message }, 'cleanup step failed');
        }
      }
      stopBeat();
      await flushTraces().catch(() => undefined);
      config.stop();
      if (bus) await bus.close();
      subscriber?.disconnect();
      redis.disconnect();
    },
  };
}
