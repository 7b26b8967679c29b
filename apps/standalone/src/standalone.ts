/**
 * Every service of the pipeline in one process, sharing one metrics registry and one logger root.
 * The services that have a definition (`ServiceDefinition` of `@nm/service-kit`) start here exactly
 * as they start alone, from one environment parsed once, so their settings work in both modes.
 */
import { z } from 'zod';
import { AggregatorEnvSchema, aggregatorOptionsFromEnv, startAggregator } from '@nm/aggregator';
import { ConfigSyncEnvSchema, startConfigSync } from '@nm/config-sync';
import { eventExporterService, type EventExporterEnv } from '@nm/event-exporter';
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
import { CommonEnvSchema, PortSchema, createRuntime, servicesEnvShape, type Runtime, type ServiceDefinition, type Stoppable } from '@nm/service-kit';
import { createLogger, initTracing, Metrics, parseEnv } from '@nm/telemetry';

/** The services that start from their definition, in start order (after config-sync, ingest). */
export const DEFINED_SERVICES: readonly ServiceDefinition[] = [silencerService, routerService];
export const SENDER_SERVICES: readonly ServiceDefinition[] = [webhookService, emailService, slackService, wechatService, dingtalkService, feishuService, smsService, pushoverService, discordService, telegramService, teamsService, pagerdutyService, opsgenieService, googlechatService];

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
});
export type StandaloneEnv = z.infer<typeof OwnEnvSchema>;

/** Everything the single process reads, in one schema: its own variables and every defined service's. */
export const StandaloneEnvSchema: z.ZodObject = OwnEnvSchema.extend(servicesEnvShape([...DEFINED_SERVICES, ...SENDER_SERVICES, eventExporterService]));

/** Parses the whole environment once; throws EnvError with one line naming each bad variable. */
export function parseStandaloneEnv(source: NodeJS.ProcessEnv = process.env): StandaloneEnv {
  return parseEnv(StandaloneEnvSchema, source) as StandaloneEnv;
}

export async function startStandalone(env: StandaloneEnv): Promise<{ ingestPort: number; stop(): Promise<void> }> {
  const root = createLogger('notification-manager', env.LOG_LEVEL);
  // one service.name for the whole process; each span names its stage (`nm.stage`)
  initTracing({ serviceName: 'notification-manager' });
  const metrics = new Metrics('notification-manager');
  const runtimes: Runtime[] = [];
  const rt = (service: string, readConfig = true): Runtime => {
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
    runtimes.push(r);
    return r;
  };
  const started: Stoppable[] = [];
  if (env.NM_CONFIG_DIR) started.push(await startConfigSync(rt('config-sync', false), { configDir: env.NM_CONFIG_DIR, pollMs: env.NM_CONFIG_POLL_MS, clusterName: env.NM_CLUSTER_NAME }));
  const ingest = await startIngest(rt('ingest'), {
    ...ingestOptionsFromEnv(env),
    port: env.NM_INGEST_PORT,
    host: env.NM_INGEST_HOST,
    readyRequires: DEFAULT_READY_REQUIRES.filter((s) => env.NM_CONFIG_DIR || s !== 'config-sync'),
  });
  started.push(ingest);
  for (const def of DEFINED_SERVICES) started.push(await def.start(rt(def.name), env));
  // the aggregator reads its NM_AGGREGATOR_* variables itself (validated above with the rest)
  started.push(await startAggregator(rt('aggregator'), aggregatorOptionsFromEnv(process.env)));
  for (const def of SENDER_SERVICES) started.push(await def.start(rt(def.name), env));
  if (env.NM_EVENTS_ENABLED) started.push(await eventExporterService.start(rt(eventExporterService.name), env as unknown as EventExporterEnv));
  root.info({ port: ingest.port }, 'notification manager running (single process)');
  return {
    ingestPort: ingest.port,
    stop: async () => {
      for (const s of started.reverse()) await s.stop();
      for (const r of runtimes) await r.close();
    },
  };
}
