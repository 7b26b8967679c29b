import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SinkRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  readonly body: unknown;
  readonly receivedAt: number;
  /** The status the sink answered with. */
  readonly status: number;
  /** True once the whole response was handed to the client's connection (false if it went away first). */
  completed: boolean;
}

export interface SinkResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering. */
  delayMs?: number;
}

export type SinkResponder = (req: Omit<SinkRequest, 'status' | 'completed'>) => SinkResponse | undefined;

export interface WebhookSink {
  readonly url: string;
  readonly port: number;
  /** Every request, in arrival order (including the ones answered with an error). */
  readonly requests: SinkRequest[];
  /** Requests answered 2xx. */
  accepted(path?: string): SinkRequest[];
  /** Replace how the sink answers (default: 200 for everything). */
  respondWith(responder: SinkResponder | undefined): void;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 that records what it receives and answers as scripted. */
export async function startWebhookSink(opts: { port?: number; onRequest?: (r: SinkRequest) => void } = {}): Promise<WebhookSink> {
  const requests: SinkRequest[] = [];
  let responder: SinkResponder | undefined;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = rawBody ? JSON.parse(rawBody) : undefined;
      } catch {
        body = undefined;
      }
      const base = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        rawBody,
        body,
        receivedAt: Date.now(),
      };
      const r = responder?.(base) ?? { status: 200 };
      const answer = (): void => {
        const rec: SinkRequest = { ...base, status: r.status, completed: false };
        requests.push(rec);
        res.once('finish', () => {
          rec.completed = !res.destroyed && !req.socket.destroyed;
        });
        opts.onRequest?.(rec);
        res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
        res.end(r.body ?? '{}');
      };
      if (r.delayMs) setTimeout(answer, r.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    accepted: (path?: string) =>
      requests.filter((r) => r.status >= 200 && r.status < 300 && (path === undefined || r.path === path)),
    respondWith: (fn) => {
      responder = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
