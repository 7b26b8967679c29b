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
  /** Requests received so far (counted on arrival, before any answer) and when the last answer went out. */
  stats(): { arrived: number; lastAnswerAt: number };
  /** Replace how the sink answers (default: 200 for everything). */
  respondWith(responder: SinkResponder | undefined): void;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 that records what it receives and answers as scripted. */
export async function startWebhookSink(opts: { port?: number; onRequest?: (r: SinkRequest) => void } = {}): Promise<WebhookSink> {
  const requests: SinkRequest[] = [];
  let responder: SinkResponder | undefined;
  let arrived = 0;
  let lastAnswerAt = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      arrived += 1;
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
      // A client that goes away before the answer (killed, timed out) never learns the outcome:
      // such a request does not count as completed, whatever the kernel still accepts.
      let clientGone = false;
      const gone = (): void => {
        clientGone = true;
      };
      req.socket.once('end', gone);
      req.socket.once('close', gone);
      const answer = (): void => {
        req.socket.off('end', gone);
        req.socket.off('close', gone);
        const rec: SinkRequest = { ...base, status: r.status, completed: false };
        requests.push(rec);
        const goneBeforeAnswer = clientGone || req.socket.destroyed;
        res.once('finish', () => {
          rec.completed = !goneBeforeAnswer && !clientGone && !res.destroyed;
        });
        opts.onRequest?.(rec);
        res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
        res.end(r.body ?? '{}');
        lastAnswerAt = Date.now();
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
    stats: () => ({ arrived, lastAnswerAt }),
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
