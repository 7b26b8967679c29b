/**
 * Every service of the pipeline in one process. The services that have a definition
 * (`ServiceDefinition` of `@nm/service-kit`) start here exactly as they start alone, from one
 * environment parsed once, so their settings work in both modes.
 *
 * The main thread runs config-sync, ingest (the HTTP API, `/metrics`, `/-/ready`) and the event
 * exporter; the pipeline stages run where `STAGE_PLACEMENT` places them for `NM_STANDALONE_WORKERS`
 * worker threads (0: all on the main thread; 1, the default on two cores: the senders on the main
 * thread, the silencer, router and aggregator on the worker). Each worker parses the same environment and starts its
 * stages through the same functions, with its own runtimes, logger root and metrics registry; the
 * main thread's `/metrics` merges every worker's registry into its own. Services talk only through
 * NATS and Redis, so where one runs changes nothing else.
 */
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { z } from 'zod';
import { handoff, inline, type InlineHop } from '@nm/bus';
import { subjects } from '@nm/contracts';
import { AggregatorEnvSchema, aggregatorOptionsFromEnv, DEFAULT_MAX_HELD, startAggregator } from '@nm/aggregator';
// The environment schemas and config-sync's service only: the Kubernetes client (~70 MiB of
// memory per thread) is loaded where it is used (Kubernetes mode, the event exporter), not by
// every thread of the process.
import { ConfigSyncEnvSchema } from '@nm/config-sync/env';
import { startConfigSync } from '@nm/config-sync/service';
import { EventExporterEnvSchema, type EventExporterEnv } from '@nm/event-exporter/env';
import { DEFAULT_READY_REQUIRES, IngestEnvSchema, ingestOptionsFromEnv, startIngest } from '@nm/ingest';
import { routerService } from '@nm/router';
import { dingtalkService } from '@nm/sender-dingtalk';
import { emailService } from '@nm/sender-email';
import { discordService } from '@nm/sender-discord';
import { feishuService } from '@nm/sender-feishu';
import { pushoverService } from '@nm/sender-pushover';
import { slackService } from '@nm/sender-slack';
import { smsService } from '@nm/sender-sms';
import { telegramService } from '@nm/sender-telegram';
import { webhookService } from '@nm/sender-webhook';
import { wechatService } from '@nm/sender-wechat';
import { googlechatService } from '@nm/sender-googlechat';
import { opsgenieService } from '@nm/sender-opsgenie';
import { pagerdutyService } from '@nm/sender-pagerduty';
import { teamsService } from '@nm/sender-teams';
import { silencerService } from '@nm/silencer';
import {
  CommonEnvSchema,
  PortSchema,
  createRuntime,
  ingestActivity,
  servicesEnvShape,
  startServiceWorker,
  type IntakeReader,
  type Runtime,
  type ServiceDefinition,
  type Stoppable,
  type WorkerServices,
} from '@nm/service-kit';
import { createLogger, initTracing, Metrics, parseEnv, type Logger } from '@nm/telemetry';

/** The event exporter, its module (and the Kubernetes client) loaded only when it starts. */
const eventExporterService: ServiceDefinition<typeof EventExporterEnvSchema> = {
  name: 'event-exporter',
  env: EventExporterEnvSchema,
  start: async (rt, env) => (await import('@nm/event-exporter')).eventExporterService.start(rt, env),
};

/** The services that start from their definition, in start order (after config-sync, ingest). */
export const DEFINED_SERVICES: readonly ServiceDefinition[] = [silencerService, routerService];
export const SENDER_SERVICES: readonly ServiceDefinition[] = [webhookService, emailService, slackService, wechatService, dingtalkService, feishuService, smsService, pushoverService, discordService, telegramService, teamsService, pagerdutyService, opsgenieService, googlechatService];

/** The pipeline stages, in start order: the ones a worker thread can run. */
export const STAGE_NAMES: readonly string[] = ['silencer', 'router', 'aggregator', ...SENDER_SERVICES.map((d) => d.name)];
const SENDERS = SENDER_SERVICES.map((d) => d.name);

/** Where the stages run for one number of worker threads: on the main thread, and on each worker. */
export interface StagePlacement {
  /** Stages on the main thread, with ingest, config-sync and the event exporter. */
  main: readonly string[];
  /** Each worker's stages. */
  workers: ReadonlyArray<readonly string[]>;
}

/**
 * Where the stages run, by number of worker threads (row `n` for `n` workers). Ingest (HTTP, JSON,
 * publishing every accepted alert) keeps the main thread, config-sync and the event exporter with
 * it (both light). With one worker, the silencer, router and aggregator run on it (their hops are
 * inline, `INLINE_HOPS`) and the senders on the main thread: a sender's work is mostly round trips
 * (a claim, the upstream request, the history record, the done mark), each waiting for a turn of
 * its thread's event loop, so on the worker, busy with the chain through a burst, they delivered
 * almost nothing until the burst was taken in, and the main thread had CPU to spare (batch
 * notifications are not handed over in memory, so the senders gain nothing from the aggregator's
 * thread; docs/performance.md, "Thirteenth round"). With two, the senders get a thread of their
 * own, apart from the stages that route and batch. With three, the aggregator (batch groups in
 * memory) is apart from the silencer and router. More workers than the last row use the last row:
 * one thread per stage group.
 */
export const STAGE_PLACEMENT: readonly StagePlacement[] = [
  { main: STAGE_NAMES, workers: [] },
  { main: SENDERS, workers: [['silencer', 'router', 'aggregator']] },
  { main: [], workers: [['silencer', 'router', 'aggregator'], SENDERS] },
  { main: [], workers: [['silencer', 'router'], ['aggregator'], SENDERS] },
];

/** Where the stages run with `workers` worker threads (the last row of `STAGE_PLACEMENT` beyond it). */
export function placementFor(workers: number): StagePlacement {
  return STAGE_PLACEMENT[Math.min(workers, STAGE_PLACEMENT.length - 1)]!;
}

/**
 * Notifications each sender on the main thread delivers at once while ingest, beside it, answers
 * requests (the other stages on a worker), unless `NM_SENDER_CONCURRENCY` or
 * `NM_SENDER_CONCURRENCY_BESIDE_INGEST` is set. Each delivery in flight adds turns of the main
 * thread's event loop (its round trips), where ingest answers the POSTs: at 32 the benchmark's POSTs
 * were accepted 15-20 % slower than at 16, at the same throughput (docs/performance.md, "Thirteenth
 * round"). Once ingest is idle (no request for `INGEST_BUSY_MS`), the senders take their own number
 * at once (32; email 16): the drain after a burst, where 16 left the main thread waiting on round
 * trips with a core to spare ("Eighteenth round").
 */
export const MAIN_THREAD_SENDER_CONCURRENCY = 16;

/**
 * `env` with `NM_SENDER_CONCURRENCY_BESIDE_INGEST` defaulted to `MAIN_THREAD_SENDER_CONCURRENCY`,
 * unless either variable is set (`NM_SENDER_CONCURRENCY` alone then holds at all times).
 */
export function withMainThreadSenderConcurrency(env: StandaloneEnv): StandaloneEnv {
  const own = env as StandaloneEnv & { NM_SENDER_CONCURRENCY?: number; NM_SENDER_CONCURRENCY_BESIDE_INGEST?: number };
  if (own.NM_SENDER_CONCURRENCY !== undefined || own.NM_SENDER_CONCURRENCY_BESIDE_INGEST !== undefined) return env;
  return { ...env, NM_SENDER_CONCURRENCY_BESIDE_INGEST: MAIN_THREAD_SENDER_CONCURRENCY } as StandaloneEnv;
}

/** `min(cores, 4) - 1`: the main thread and up to three workers (1 on a 2-core machine, 0 on one core). */
export const DEFAULT_WORKERS = Math.max(0, Math.min(availableParallelism(), 4) - 1);
/** `NM_STANDALONE_HEAP_GROWING_PERCENT`'s default (`heapGrowthFlag`). */
export const DEFAULT_HEAP_GROWING_PERCENT = 30;

/** What the single process reads itself: the common variables, and ingest's, the aggregator's and config-sync's. */
const OwnEnvSchema = CommonEnvSchema.extend({
  ...IngestEnvSchema.shape,
  ...AggregatorEnvSchema.shape,
  NM_INGEST_PORT: PortSchema.default(19093),
  NM_INGEST_HOST: z.string().default('0.0.0.0'),
  /** Directory of manifests (directory mode); unset when another config-sync feeds Redis. */
  NM_CONFIG_DIR: z.string().min(1).optional(),
  NM_CONFIG_POLL_MS: ConfigSyncEnvSchema.shape.NM_CONFIG_POLL_MS,
  NM_CLUSTER_NAME: ConfigSyncEnvSchema.shape.NM_CLUSTER_NAME,
  /** Also export Kubernetes events as alerts (the cluster of KUBECONFIG, as config-sync reads it). */
  NM_EVENTS_ENABLED: z.stringbool().default(false),
  /** Worker threads running the pipeline stages (`STAGE_PLACEMENT`); 0 runs everything on the main thread. */
  NM_STANDALONE_WORKERS: z.coerce.number().int().min(0).default(DEFAULT_WORKERS),
  /**
   * Stages on one thread hand each other the decoded payloads of the messages they publish (the
   * messages still go through JetStream; only decoding their bytes again is skipped): `on`,
   * `off`, or `verify` (a test mode: payloads frozen, every delivery decoded and compared).
   */
  NM_STANDALONE_HANDOFF: z.enum(['on', 'off', 'verify']).default('on'),
  /**
   * The silencer hands its output to the router, and the router to the aggregator, by calling the
   * next stage's handler on the same thread instead of through `nm.alerts.admitted` and
   * `nm.alerts.routed` (`INLINE_HOPS`): the ingested message stays unacknowledged until the
   * aggregator has its alerts published (or stored). `off`: every hop durable, as deployed.
   */
  NM_STANDALONE_INLINE: z.enum(['on', 'off']).default('on'),
  /**
   * How far V8 lets each heap of the process grow past what survived its last full collection
   * before the next one, in percent (`heapGrowthFlag`); 0 leaves V8's adaptive factor (up to 4×).
   */
  NM_STANDALONE_HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(300).default(DEFAULT_HEAP_GROWING_PERCENT),
});
export type StandaloneEnv = z.infer<typeof OwnEnvSchema>;

/** Everything the single process reads, in one schema: its own variables and every defined service's. */
export const StandaloneEnvSchema: z.ZodObject = OwnEnvSchema.extend(servicesEnvShape([...DEFINED_SERVICES, ...SENDER_SERVICES, eventExporterService]));

/**
 * The V8 flag that fixes every heap's growing factor at `1 + percent / 100`, or undefined for 0
 * (V8 chooses). Under load the stages hold alerts for seconds, long enough to survive young
 * collections: they are promoted and die in the old generation, which V8's adaptive factor lets
 * grow to several times what is live before collecting it (a mid-run snapshot of the stage worker:
 * 73 MB live in a 185 MB old generation). A fixed growth collects it sooner: 50 % at no measured
 * cost in the single process (docs/performance.md, "Thirteenth round"); 30 % since the process runs
 * with `--single-threaded-gc` (as the images do), whose marking, on the heap's own thread, let the
 * peak grow ~25 MiB at 50 % ("Eighteenth round").
 */
export function heapGrowthFlag(percent: number): string | undefined {
  return percent > 0 ? `--heap-growing-percent=${percent}` : undefined;
}

/**
 * Applies `heapGrowthFlag` to the process: V8's flags are process-wide and read at every collection,
 * so it holds for the main thread's heap and for every worker thread's.
 */
export function applyHeapGrowth(percent: number): void {
  const flag = heapGrowthFlag(percent);
  if (flag) setFlagsFromString(flag);
}

/** Parses the whole environment once; throws EnvError with one line naming each bad variable. */
export function parseStandaloneEnv(source: NodeJS.ProcessEnv = process.env): StandaloneEnv {
  return parseEnv(StandaloneEnvSchema, source) as StandaloneEnv;
}

/**
 * The hops the single process runs inline when both stages are on one thread
 * (`NM_STANDALONE_INLINE`): silencer → router → aggregator. Ingest → silencer stays durable
 * (a POST is answered only once JetStream stored its alerts), and so does aggregator → senders
 * (a notification is stored before it is sent; senders retry on their own time).
 */
export const INLINE_HOPS: readonly InlineHop[] = [
  { from: subjects.alertsIngested, to: subjects.alertsAdmitted },
  { from: subjects.alertsAdmitted, to: subjects.alertsRouted },
];

/** This thread's hand-off and inline hops, as the environment sets them. */
function configureThread(env: StandaloneEnv, metrics: Metrics, source: NodeJS.ProcessEnv): void {
  handoff.configure({ mode: env.NM_STANDALONE_HANDOFF, metrics });
  // a holding consumer holds as many messages as the aggregator's
  const held = aggregatorOptionsFromEnv(source).maxHeld ?? DEFAULT_MAX_HELD;
  inline.configure({ hops: env.NM_STANDALONE_INLINE === 'on' ? INLINE_HOPS : [], concurrency: held, metrics });
}

/**
 * Whether the aggregator among `stages` gets ingest's messages inline (silencer, router and
 * aggregator on one thread, the hops inline): its input's sequences are then ingest's stream's,
 * and it can tell the input's end from ingest's state (`ingestActivity.intake`).
 */
export function aggregatorFedInline(stages: readonly string[], env: Pick<StandaloneEnv, 'NM_STANDALONE_INLINE'>): boolean {
  return env.NM_STANDALONE_INLINE === 'on' && ['silencer', 'router', 'aggregator'].every((s) => stages.includes(s));
}

type StageStarter = (rt: Runtime, env: StandaloneEnv, source: NodeJS.ProcessEnv, intake: IntakeReader | undefined) => Promise<Stoppable>;

/** How each stage starts: from its definition, the aggregator from its own options (and ingest's state, when it is fed inline). */
const STAGE_STARTERS: ReadonlyMap<string, StageStarter> = new Map([
  ...DEFINED_SERVICES.map((def) => [def.name, (rt: Runtime, env: StandaloneEnv) => def.start(rt, env)] as const),
  // the aggregator reads its NM_AGGREGATOR_* variables itself (validated with the rest)
  ['aggregator', (rt: Runtime, _env: StandaloneEnv, source: NodeJS.ProcessEnv, intake: IntakeReader | undefined) =>
    startAggregator(rt, { ...aggregatorOptionsFromEnv(source), ...(intake ? { intake } : {}) })] as const,
  ...SENDER_SERVICES.map((def) => [def.name, (rt: Runtime, env: StandaloneEnv) => def.start(rt, env)] as const),
]);

/** The runtimes of one thread's services, on one logger root and one registry; `closeAll` closes them. */
function runtimes(env: StandaloneEnv, root: Logger, metrics: Metrics): { rt: (service: string, readConfig?: boolean) => Runtime; closeAll: () => Promise<void> } {
  const made: Runtime[] = [];
  return {
    rt: (service, readConfig = true) => {
      const r = createRuntime({
        service,
        natsUrl: env.NATS_URL,
        redisUrl: env.REDIS_URL,
        secretKey: env.NM_SECRET_KEY,
        previousSecretKeys: env.NM_SECRET_KEY_PREVIOUS,
        logger: root.child({ service }),
        metrics,
        readConfig,
      });
      made.push(r);
      return r;
    },
    closeAll: async () => {
      for (const r of made) await r.close();
    },
  };
}

/** Stops what started, last first, then closes the runtimes. */
async function stopAll(started: Stoppable[], closeAll: () => Promise<void>): Promise<void> {
  for (const s of [...started].reverse()) await s.stop();
  await closeAll();
}

/**
 * Starts `stages` (names of `STAGE_NAMES`, in that order) in this thread: what a worker thread
 * runs (`stage.worker.ts`), with its own logger root, tracing and registry. A stage that fails to
 * start stops the ones started before it.
 */
export async function startStages(stages: readonly string[], source: NodeJS.ProcessEnv = process.env, intakeBuffer?: SharedArrayBuffer): Promise<WorkerServices> {
  const unknown = stages.filter((n) => !STAGE_STARTERS.has(n));
  if (unknown.length > 0) throw new Error(`no such stage: ${unknown.join(', ')} (one of ${STAGE_NAMES.join(', ')})`);
  const env = parseStandaloneEnv(source);
  // ingest runs on the main thread: its state comes in the buffer it shares (`ingestActivity`)
  if (intakeBuffer) ingestActivity.attach(intakeBuffer);
  const intake = intakeBuffer && aggregatorFedInline(stages, env) ? () => ingestActivity.intake() : undefined;
  const logger = createLogger('notification-manager', env.LOG_LEVEL);
  initTracing({ serviceName: 'notification-manager' });
  // the process metrics are the main thread's (its registry merges this one)
  const metrics = new Metrics('notification-manager', undefined, { defaultMetrics: false });
  const { rt, closeAll } = runtimes(env, logger, metrics);
  configureThread(env, metrics, source);
  const started: Stoppable[] = [];
  try {
    for (const name of STAGE_NAMES.filter((n) => stages.includes(n))) started.push(await STAGE_STARTERS.get(name)!(rt(name), env, source, intake));
  } catch (err) {
    await stopAll(started, closeAll).catch(() => undefined);
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    throw err;
  }
  return { metrics, logger, stop: () => stopAll(started, closeAll) };
}

export interface StandaloneOptions {
  /** The environment the worker threads parse (default `process.env`, which `env` was parsed from). */
  source?: NodeJS.ProcessEnv;
  /** A worker thread died after start (default: log it, stop the rest within 10 s, exit 1). */
  onWorkerDeath?: (err: Error) => void;
}

export async function startStandalone(env: StandaloneEnv, options: StandaloneOptions = {}): Promise<{ ingestPort: number; stop(): Promise<void> }> {
  const source = options.source ?? process.env;
  applyHeapGrowth(env.NM_STANDALONE_HEAP_GROWING_PERCENT);
  const root = createLogger('notification-manager', env.LOG_LEVEL);
  // one service.name for the whole process; each span names its stage (`nm.stage`)
  initTracing({ serviceName: 'notification-manager' });
  const metrics = new Metrics('notification-manager');
  const { rt, closeAll } = runtimes(env, root, metrics);
  const placement = placementFor(env.NM_STANDALONE_WORKERS);
  if (env.NM_STANDALONE_WORKERS > placement.workers.length)
    root.info({ requested: env.NM_STANDALONE_WORKERS, workers: placement.workers.length }, 'NM_STANDALONE_WORKERS is more than the stage groups: one worker thread per group');

  // sources first on stop: no new alerts while the stages drain
  const sources: Stoppable[] = [];
  const background: Stoppable[] = [];
  /** Stages started on this thread (`placement.main`); the workers' are in `workers`. */
  const stages: Stoppable[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const s of [...sources].reverse()) await s.stop();
      // the stages in reverse start order; the workers stop at once, each draining its stages
      for (const s of [...stages].reverse()) await s.stop();
      await Promise.all(workers.map((w) => w.stop()));
      for (const s of [...background].reverse()) await s.stop();
      await closeAll();
    })());
  const workers: Stoppable[] = [];
  const onWorkerDeath =
    options.onWorkerDeath ??
    ((err: Error) => {
      root.error({ err: err.message }, 'a worker thread of the single process died: exiting (its stages are gone)');
      const timer = setTimeout(() => process.exit(1), 10_000);
      timer.unref();
      void stop()
        .catch(() => undefined)
        .finally(() => root.flush(() => process.exit(1)));
    });

  try {
    if (env.NM_CONFIG_DIR) background.push(await startConfigSync(rt('config-sync', false), { configDir: env.NM_CONFIG_DIR, pollMs: env.NM_CONFIG_POLL_MS, clusterName: env.NM_CLUSTER_NAME }));
    const ingest = await startIngest(rt('ingest'), {
      ...ingestOptionsFromEnv(env),
      port: env.NM_INGEST_PORT,
      host: env.NM_INGEST_HOST,
      readyRequires: DEFAULT_READY_REQUIRES.filter((s) => env.NM_CONFIG_DIR || s !== 'config-sync'),
    });
    sources.push(ingest);
    if (placement.workers.length > 0) {
      // every worker starts at once; one that fails fails the start, naming its stages
      const results = await Promise.allSettled(
        placement.workers.map((group, i) =>
          startServiceWorker({
            label: `worker ${i + 1} (${group.join(', ')})`,
            script: new URL('./stage.worker.js', import.meta.url),
            data: { stages: group, ...(aggregatorFedInline(group, env) ? { intake: ingestActivity.buffer() } : {}) },
            env: source,
            metrics,
            logger: root,
            onDeath: (err) => onWorkerDeath(err),
          }),
        ),
      );
      for (const r of results) if (r.status === 'fulfilled') workers.push(r.value);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
    if (placement.main.length > 0) {
      configureThread(env, metrics, source);
      // senders placed beside ingest (the chain on a worker) take fewer notifications at once
      const mainEnv = placement.workers.length > 0 ? withMainThreadSenderConcurrency(env) : env;
      const intake = aggregatorFedInline(placement.main, env) ? () => ingestActivity.intake() : undefined;
      for (const name of STAGE_NAMES.filter((n) => placement.main.includes(n))) stages.push(await STAGE_STARTERS.get(name)!(rt(name), mainEnv, source, intake));
    }
    if (env.NM_EVENTS_ENABLED) sources.push(await eventExporterService.start(rt(eventExporterService.name), env as unknown as EventExporterEnv));
    root.info({ port: ingest.port, main: placement.main.join(','), workers: placement.workers.map((g) => g.join(',')) }, 'notification manager running (single process)');
    return { ingestPort: ingest.port, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
