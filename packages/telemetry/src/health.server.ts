import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.js';

export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<boolean> | boolean;
}

export interface Health {
  /** Register a readiness condition; `/-/ready` is 200 only when all pass. */
  addCheck(check: ReadinessCheck): void;
  isReady(): Promise<{ ready: boolean; failing: string[] }>;
}

export function createHealth(): Health {
  const checks: ReadinessCheck[] = [];
  return {
    addCheck: (c) => void checks.push(c),
    isReady: async () => {
      const failing: string[] = [];
      for (const c of checks) {
        let ok = false;
        try {
          ok = await c.check();
        } catch {
          ok = false;
        }
        if (!ok) failing.push(c.name);
      }
      return { ready: failing.length === 0, failing };
    },
  };
}

/** Answers `/-/healthy` (and its alias `/-/live`), `/-/ready` and `/metrics`; used by every service without its own HTTP API. */
export async function startHealthServer(opts: {
  port: number;
  host?: string;
  health: Health;
  metrics: Metrics;
}): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    void handleHealthRequest(req.url ?? '/', opts.health, opts.metrics).then(({ status, type, body }) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function handleHealthRequest(
  url: string,
  health: Health,
  metrics: Metrics,
): Promise<{ status: number; type: string; body: string }> {
  const path = url.split('?')[0];
  // liveness: the process serves requests (`/-/live` is notification-manager's name for it)
  if (path === '/-/healthy' || path === '/-/live') return { status: 200, type: 'text/plain', body: 'OK\n' };
  if (path === '/-/ready') {
    const r = await health.isReady();
    return r.ready
      ? { status: 200, type: 'text/plain', body: 'Ready\n' }
      : { status: 503, type: 'text/plain', body: `Not ready: ${r.failing.join(', ')}\n` };
  }
  if (path === '/metrics') {
    const { contentType, body } = await metrics.exposition();
    return { status: 200, type: contentType, body };
  }
  return { status: 404, type: 'text/plain', body: 'Not found\n' };
}
