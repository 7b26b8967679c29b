import { aggregatorOptionsFromEnv, startAggregator, type AggregatorOptions } from '@nm/aggregator';
import { channelBaseUrlsFromEnv, type ChannelBaseUrls } from '@nm/channels';
import { startConfigSync } from '@nm/config-sync';
import { DEFAULT_READY_REQUIRES, startIngest, type IngestEnvOptions } from '@nm/ingest';
import { startRouter } from '@nm/router';
import { startDingtalkSender } from '@nm/sender-dingtalk';
import { startEmailSender } from '@nm/sender-email';
import { startFeishuSender } from '@nm/sender-feishu';
import { startSlackSender } from '@nm/sender-slack';
import { startWebhookSender } from '@nm/sender-webhook';
import { startWechatSender } from '@nm/sender-wechat';
import { startSilencer } from '@nm/silencer';
import { createRuntime, type Runtime } from '@nm/service-kit';
import { createLogger, Metrics } from '@nm/telemetry';

export interface StandaloneOptions {
  natsUrl: string;
  redisUrl: string;
  secretKey: string;
  logLevel?: string;
  ingestPort: number;
  ingestHost?: string;
  /** Ingest limits, dedup and back-pressure (`ingestOptionsFromEnv` of `@nm/ingest` reads them from the environment). */
  ingest?: Partial<IngestEnvOptions>;
  /** Directory of manifests (directory mode); omit when another config-sync feeds Redis. */
  configDir?: string;
  tenantSidecarUrl?: string;
  /** Slack, DingTalk and Feishu API base URLs (default: `NM_SLACK_API_URL` etc. of the environment, else the vendors'). */
  channelBaseUrls?: ChannelBaseUrls;
  /** Aggregator bounds (default: `NM_AGGREGATOR_*` of the environment). */
  aggregator?: AggregatorOptions;
}

/** Every service of the pipeline in one process, sharing one metrics registry and one logger root. */
export async function startStandalone(opts: StandaloneOptions): Promise<{ ingestPort: number; stop(): Promise<void> }> {
  const root = createLogger('notification-manager', opts.logLevel);
  const metrics = new Metrics('notification-manager');
  const runtimes: Runtime[] = [];
  const rt = (service: string, readConfig = true): Runtime => {
    const r = createRuntime({
      service,
      natsUrl: opts.natsUrl,
      redisUrl: opts.redisUrl,
      secretKey: opts.secretKey,
      logger: root.child({ service }),
      metrics,
      readConfig,
    });
    runtimes.push(r);
    return r;
  };
  const stops: Array<() => Promise<void>> = [];
  if (opts.configDir) {
    const sync = await startConfigSync(rt('config-sync', false), { configDir: opts.configDir });
    stops.push(() => sync.stop());
  }
  const ingest = await startIngest(rt('ingest'), {
    ...opts.ingest,
    port: opts.ingestPort,
    ...(opts.ingestHost ? { host: opts.ingestHost } : {}),
    readyRequires: DEFAULT_READY_REQUIRES.filter((s) => opts.configDir || s !== 'config-sync'),
  });
  stops.push(() => ingest.stop());
  const silencer = await startSilencer(rt('silencer'));
  stops.push(() => silencer.stop());
  const router = await startRouter(rt('router'), opts.tenantSidecarUrl ? { tenantSidecarUrl: opts.tenantSidecarUrl } : {});
  stops.push(() => router.stop());
  const aggregator = await startAggregator(rt('aggregator'), opts.aggregator ?? aggregatorOptionsFromEnv(process.env));
  stops.push(() => aggregator.stop());
  const urls = opts.channelBaseUrls ?? channelBaseUrlsFromEnv(process.env);
  const senders = [
    await startWebhookSender(rt('sender-webhook')),
    await startEmailSender(rt('sender-email')),
    await startSlackSender(rt('sender-slack'), { apiUrl: urls.slackApiUrl }),
    await startWechatSender(rt('sender-wechat')),
    await startDingtalkSender(rt('sender-dingtalk'), { apiUrl: urls.dingtalkApiUrl }),
    await startFeishuSender(rt('sender-feishu'), { apiUrl: urls.feishuApiUrl }),
  ];
  for (const sender of senders) stops.push(() => sender.stop());
  root.info({ port: ingest.port }, 'notification manager running (single process)');
  return {
    ingestPort: ingest.port,
    stop: async () => {
      for (const s of stops.reverse()) await s();
      for (const r of runtimes) await r.close();
    },
  };
}
