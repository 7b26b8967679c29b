/**
 * Webhook: one HTTP request per notification (per chunk, when the caller pre-rendered several) to
 * a URL or an in-cluster Service. The body is what the caller's render function produced: by
 * default the Alertmanager v4 webhook JSON (`webhookBody` of `@nm/templates`), or a custom
 * template's rendering. Unlike notification-manager: any 2xx is a success (it required exactly
 * 200), 429/5xx/timeouts retry honouring `Retry-After`, and every request carries the
 * notification id as `Idempotency-Key` so receivers can drop a redelivered notification.
 */
import { createHash } from 'node:crypto';
import type { Agent as HttpsAgent } from 'node:https';
import { PermanentError } from '@nm/errors';
import { classifyHttpError } from './channel.errors.js';
import type { OutgoingMessage, SendContext, SendResult } from './channel.types.js';
import { unitsFor, type UnitSuccess } from './delivery.runner.js';
import { GuardedHttpsAgent } from './egress.js';
import { excerpt, parseProxyUrl, ProxyUrlError, redactUrl, tunnelOf, type HttpProxy } from './http.client.js';
import { HttpChannelSender, type HttpSenderOptions } from './http.sender.js';
import { splitMessage, type MessageChunk } from './message.splitter.js';

/** notification-manager's ServiceReference: `scheme://name.namespace[:port][/path]`. */
export interface WebhookServiceRef {
  namespace: string;
  name: string;
  path?: string | undefined;
  port?: number | undefined;
  /** Default `http`. */
  scheme?: string | undefined;
}

/** TLS settings with credentials already resolved (PEM text). */
export interface WebhookTlsConfig {
  /** CA(s) to trust instead of the system store. */
  rootCA?: string | undefined;
  clientCertificate?: { cert: string; key: string } | undefined;
  /** Name checked against the server certificate (default: the URL's host). */
  serverName?: string | undefined;
  insecureSkipVerify?: boolean | undefined;
}

/** notification-manager's HTTPClientConfig with credentials already resolved. */
export interface WebhookHttpConfig {
  /** Wins over `basicAuth` when both are set. */
  bearerToken?: string | undefined;
  basicAuth?: { username?: string | undefined; password?: string | undefined } | undefined;
  /**
   * `http(s)://[user:pass@]host:port` proxy: `http://` targets are sent to it as absolute-form
   * requests, `https://` targets through a CONNECT tunnel (TLS to the target inside it). The egress
   * guard checks the proxy's address, and the target as far as this host can resolve it.
   */
  proxyUrl?: string | undefined;
  tlsConfig?: WebhookTlsConfig | undefined;
}

export interface WebhookTarget {
  /** Exactly one of `url` and `service`. */
  url?: string | undefined;
  service?: WebhookServiceRef | undefined;
  httpConfig?: WebhookHttpConfig | undefined;
  /** Default POST. */
  method?: string | undefined;
  /** Extra request headers; they may override `Content-Type`, never the configured authorization. */
  headers?: Readonly<Record<string, string>> | undefined;
  /** Per-request timeout (`options.webhook.notificationTimeout`); default the sender's, else 5 s. */
  timeoutMs?: number | undefined;
}

export interface WebhookSenderOptions extends HttpSenderOptions {
  /** TLS agents kept for reuse (one per distinct TLS config and proxy); default 64. */
  maxAgents?: number;
}

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 5_000;

const METHODS = new Set(['POST', 'PUT', 'PATCH', 'GET', 'DELETE']);

/** The URL of a target: `url`, or the ServiceReference spelled as notification-manager does. */
export function webhookUrl(target: Pick<WebhookTarget, 'url' | 'service'>): string {
  if (target.url && target.service) {
    throw new PermanentError('webhook: set either url or service, not both', { code: 'webhook:invalid-config' });
  }
  let raw = target.url?.trim();
  if (!raw && target.service) {
    const s = target.service;
    if (!s.name || !s.namespace) {
      throw new PermanentError('webhook: service needs a name and a namespace', { code: 'webhook:invalid-config' });
    }
    const port = s.port === undefined ? '' : `:${s.port}`;
    const path = s.path ? `/${s.path.replace(/^\/+/, '')}` : '';
    raw = `${s.scheme || 'http'}://${s.name}.${s.namespace}${port}${path}`;
  }
  if (!raw) throw new PermanentError('webhook: the receiver has neither url nor service', { code: 'webhook:no-destination' });
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PermanentError(`webhook: invalid URL ${redactUrl(raw)}`, { code: 'webhook:invalid-url' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PermanentError(`webhook: unsupported URL scheme ${url.protocol}`, { code: 'webhook:invalid-url' });
  }
  return url.toString();
}

function proxyOf(raw: string): HttpProxy {
  try {
    return parseProxyUrl(raw);
  } catch (err) {
    const scheme = err instanceof ProxyUrlError ? err.scheme : undefined;
    throw new PermanentError(scheme === undefined ? 'webhook: invalid proxyUrl' : `webhook: unsupported proxy scheme ${scheme}`, { code: 'webhook:invalid-proxy' });
  }
}

/** Sets `name` in `headers`, replacing any spelling of the same name. */
function setHeader(headers: Record<string, string>, name: string, value: string): void {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name.toLowerCase()) delete headers[k];
  headers[name] = value;
}

function authorizationOf(http: WebhookHttpConfig | undefined): string | undefined {
  if (http?.bearerToken) return `Bearer ${http.bearerToken}`;
  const basic = http?.basicAuth;
  if (basic && (basic.username || basic.password)) {
    return `Basic ${Buffer.from(`${basic.username ?? ''}:${basic.password ?? ''}`, 'utf8').toString('base64')}`;
  }
  return undefined;
}

/**
 * A JSON body goes out without the whitespace around it (a template's leading newline, as the
 * kube-eventer one has): insignificant to JSON, and what receivers have always got. Any other body
 * is sent byte for byte.
 */
export function wireBody(body: string, headers: Readonly<Record<string, string>>): string {
  const type = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  if (!type.toLowerCase().includes('json')) return body;
  const t = body.trim();
  const looksJson = (t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'));
  return looksJson ? t : body;
}

interface PreparedRequest {
  url: string;
  label: string;
  method: string;
  headers: Record<string, string>;
  timeoutMs: number;
  httpsAgent?: HttpsAgent;
  /** Absolute-form proxying of an `http://` target (an `https://` one tunnels in its agent). */
  proxy?: HttpProxy;
}

export class WebhookSender extends HttpChannelSender<WebhookTarget, WebhookSenderOptions> {
  readonly channel = 'webhook' as const;
  private readonly agents = new Map<string, HttpsAgent>();

  constructor(opts: WebhookSenderOptions = {}) {
    super(opts);
  }

  async send(target: WebhookTarget, message: OutgoingMessage, ctx: SendContext = {}): Promise<SendResult> {
    const req = this.prepare(target);
    // Webhooks have no size limit of their own: one request carries the whole notification.
    const chunks = splitMessage(message, { maxBytes: Infinity });
    const units = unitsFor(
      [req],
      chunks,
      (r) => ({ key: 'webhook', label: r.label }),
      (r, chunk) => this.post(r, chunk, chunks.indexOf(chunk), chunks.length, ctx),
    );
    return this.run(units, ctx);
  }

  /** Releases the keep-alive sockets of the TLS agents. */
  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }

  private prepare(target: WebhookTarget): PreparedRequest {
    const url = webhookUrl(target);
    const method = (target.method?.trim() || 'POST').toUpperCase();
    if (!METHODS.has(method)) {
      throw new PermanentError(`webhook: unsupported method ${method}`, { code: 'webhook:invalid-method' });
    }
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    for (const [k, v] of Object.entries(target.headers ?? {})) setHeader(headers, k, v);
    const auth = authorizationOf(target.httpConfig);
    if (auth) setHeader(headers, 'Authorization', auth);

    const isHttps = url.startsWith('https:');
    const proxyUrl = target.httpConfig?.proxyUrl?.trim();
    const proxy = proxyUrl ? proxyOf(proxyUrl) : undefined;
    const timeoutMs = target.timeoutMs ?? this.opts.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
    return {
      url,
      label: redactUrl(url),
      method,
      headers,
      timeoutMs,
      ...(isHttps ? { httpsAgent: this.agentFor(target.httpConfig?.tlsConfig, proxy) } : {}),
      ...(proxy && !isHttps ? { proxy } : {}),
    };
  }

  private agentFor(tls: WebhookTlsConfig | undefined, proxy: HttpProxy | undefined): HttpsAgent {
    const opts = {
      keepAlive: true,
      rejectUnauthorized: tls?.insecureSkipVerify !== true,
      ...(tls?.rootCA ? { ca: tls.rootCA } : {}),
      ...(tls?.clientCertificate ? { cert: tls.clientCertificate.cert, key: tls.clientCertificate.key } : {}),
      ...(tls?.serverName ? { servername: tls.serverName } : {}),
    };
    const tunnel = proxy ? tunnelOf(proxy) : undefined;
    // Keyed by a digest, so no key material is held as a map key.
    const id = createHash('sha256').update(JSON.stringify({ opts, tunnel })).digest('hex');
    let agent = this.agents.get(id);
    if (agent) {
      this.agents.delete(id);
      this.agents.set(id, agent); // most recently used last
      return agent;
    }
    agent = new GuardedHttpsAgent({
      ...opts,
      ...(this.opts.egressGuard ? { guard: this.opts.egressGuard } : {}),
      ...(this.opts.connector ? { connector: this.opts.connector } : {}),
      ...(tunnel ? { proxy: tunnel } : {}),
    });
    this.agents.set(id, agent);
    const max = this.opts.maxAgents ?? 64;
    for (const [oldest, a] of this.agents) {
      if (this.agents.size <= max) break;
      a.destroy();
      this.agents.delete(oldest);
    }
    return agent;
  }

  private async post(req: PreparedRequest, chunk: MessageChunk, index: number, count: number, ctx: SendContext): Promise<UnitSuccess> {
    const headers = { ...req.headers };
    // One key per request: the notification id, plus the part when a caller sent several.
    if (ctx.notificationId) setHeader(headers, 'Idempotency-Key', count > 1 ? `${ctx.notificationId}#${index}` : ctx.notificationId);
    const withBody = req.method !== 'GET';
    let res;
    try {
      // the client refuses, before connecting, a proxied target this host can already see is denied
      res = await this.http.request({
        method: req.method,
        url: req.url,
        headers,
        timeout: req.timeoutMs,
        ...(withBody ? { data: wireBody(chunk.body, headers) } : {}),
        ...(req.httpsAgent ? { httpsAgent: req.httpsAgent } : {}),
        ...(req.proxy ? { proxy: req.proxy } : { proxy: false }),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
    } catch (err) {
      throw classifyHttpError(err, 'webhook', this.clock.now());
    }
    if (res.status >= 200 && res.status < 300) return {};
    const replyHeaders: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(res.headers as Record<string, unknown>)) {
      if (typeof v === 'string' || typeof v === 'number') replyHeaders[k.toLowerCase()] = String(v);
    }
    const text = typeof res.data === 'string' ? res.data : '';
    throw classifyHttpError(
      { status: res.status, headers: replyHeaders, ...(text ? { detail: excerpt(text) } : {}) },
      'webhook',
      this.clock.now(),
    );
  }
}
