import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { redactUrl, type Logger } from '@nm/telemetry';
import { skipSettledRequestErrors } from './request.settle.js';
import { coalesceWrites } from './write.coalescing.js';

export interface BusConnection {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  isConnected(): boolean;
  close(): Promise<void>;
}

/**
 * Connects to NATS, retrying the first connection until it succeeds (or `signal` aborts),
 * and reconnecting forever afterwards.
 */
export async function connectBus(opts: {
  url: string;
  name: string;
  logger: Logger;
  signal?: AbortSignal;
}): Promise<BusConnection> {
  let attempt = 0;
  for (;;) {
    try {
      const nc = await connect({
        servers: opts.url.split(','),
        name: opts.name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        pingInterval: 10_000,
        // no stack captured per request / JetStream publish just in case it fails (a large share of
        // the client's CPU under load); failures still carry their message and cause
        noAsyncTraces: true,
      });
      if (!skipSettledRequestErrors()) opts.logger.warn('the NATS client\'s request class has an unexpected shape: an Error is still built after every request');
      // one write system call per event-loop turn, not one per finished handler
      if (!coalesceWrites(nc)) opts.logger.warn('the NATS client\'s transport has an unexpected shape: writes are not coalesced');
      let connected = true;
      void (async () => {
        for await (const s of nc.status()) {
          if (s.type === 'disconnect') {
            connected = false;
            opts.logger.warn({ server: s.server }, 'nats disconnected');
          } else if (s.type === 'reconnect') {
            connected = true;
            opts.logger.info({ server: s.server }, 'nats reconnected');
          }
        }
      })();
      const jsm = await jetstreamManager(nc, { timeout: 10_000 });
      opts.logger.info({ url: redactUrl(opts.url) }, 'nats connected');
      return {
        nc,
        js: jetstream(nc, { timeout: 10_000 }),
        jsm,
        isConnected: () => connected && !nc.isClosed(),
        close: async () => {
          if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
        },
      };
    } catch (err) {
      attempt += 1;
      if (opts.signal?.aborted) throw err;
      if (attempt === 1 || attempt % 20 === 0)
        opts.logger.warn({ err: (err as Error).message, url: redactUrl(opts.url), attempt }, 'nats not reachable, retrying');
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * attempt)));
    }
  }
}
