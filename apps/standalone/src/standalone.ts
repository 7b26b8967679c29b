import { startAggregator } from '@nm/aggregator';
import { startConfigSync } from '@nm/config-sync';
import { DEFAULT_READY_REQUIRES, startIngest } from '@nm/ingest';
import { startRouter } from '@nm/router';
import { startWebhookSender } from '@nm/sender-webhook';
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
  /** Directory of manifests (directory mode); omit when another config-sync feeds Redis. */
  configDir?: string;
  tenantSidecarUrl?: string;
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
    port: opts.ingestPort,
    ...(opts.ingestHost ? { host: opts.ingestHost } : {}),
    readyRequires: DEFAULT_READY_REQUIRES.filter((s) => opts.configDir || s !== 'config-sync'),
  });
  stops.push(() => ingest.stop());
  const silencer = await startSilencer(rt('silencer'));
  stops.push(() => silencer.stop());
  const router = await startRouter(rt('router'), opts.tenantSidecarUrl ? { tenantSidecarUrl: opts.tenantSidecarUrl } : {});
  stops.push(() => router.stop());
  const aggregator = await startAggregator(rt('aggregator'));
  stops.push(() => aggregator.stop());
  const sender = await startWebhookSender(rt('sender-webhook'));
  stops.push(() => sender.stop());
  root.info({ port: ingest.port }, 'notification manager running (single process)');
  return {
    ingestPort: ingest.port,
    stop: async () => {
      for (const s of stops.reverse()) await s();
      for (const r of runtimes) await r.close();
    },
  };
}
