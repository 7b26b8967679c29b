/**
 * The senders' single way out to vendor HTTP APIs: a small `node:http`/`node:https` client over the
 * egress-guarded agents (one request per notification is the hot path; no per-request config
 * merging, interceptors or transforms), plus URL redaction for results.
 */
import { request as httpTransport, type IncomingMessage, type OutgoingHttpHeaders, type RequestOptions } from 'node:http';
import { request as httpsTransport, type Agent as HttpsAgent } from 'node:https';
import { injectTraceparent } from '@nm/telemetry';
import { classifyHttpError } from './channel.errors.js';
import { cidrMatcher, defaultEgressGuard, GuardedHttpAgent, GuardedHttpsAgent, type EgressConnector, type EgressGuard, type TunnelProxy } from './egress.js';

/** Largest answer body read from an outbound call (`NM_HTTP_MAX_RESPONSE_BYTES`), default 1 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/** `NM_HTTP_MAX_RESPONSE_BYTES` of `env`, validated; the default when unset. */
export function maxResponseBytesFromEnv(env: Record<string, string | undefined> = process.env): number {
  const raw = env.NM_HTTP_MAX_RESPONSE_BYTES?.trim();
  if (!raw) return DEFAULT_MAX_RESPONSE_BYTES;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1024) throw new Error(`NM_HTTP_MAX_RESPONSE_BYTES: "${raw}" is not a whole number of bytes of at least 1024`);
  return n;
}

export interface HttpClientOptions {
  /** Per-request timeout (default 10 s; notification-manager's DingTalk calls had none). */
  timeoutMs?: number;
  /** Answers larger than this fail with a clear error (default `NM_HTTP_MAX_RESPONSE_BYTES`, else 1 MiB). */
  maxResponseBytes?: number;
  /** The egress guard of every connection (default: the process's, see egress.ts). */
  egressGuard?: EgressGuard;
  /** Opens the TCP connections the guard allowed (tests inject one). */
  connector?: EgressConnector;
  /** Where `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY` (or their lower-case spellings) are read (default `process.env`). */
  proxyEnv?: Record<string, string | undefined>;
}

/** An HTTP proxy a plain `http://` request goes through in absolute form (`https://` ones tunnel in their agent). */
export interface HttpProxy {
  /** `http` or `https`: how the proxy itself is reached. */
  protocol?: string;
  host: string;
  port: number;
  auth?: { username: string; password: string };
}

/** One request of a sender. */
export interface HttpClientRequest {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  /** The body, sent as is (its Content-Type in `headers`). */
  data?: string;
  /** Deadline of the whole exchange in ms, connect included (default the client's). */
  timeout?: number;
  signal?: AbortSignal;
  /** The agent of an `https://` request (a webhook's own TLS settings); default the client's guarded one. */
  httpsAgent?: HttpsAgent;
  /** Absolute-form proxying of an `http://` target; `false` or unset: none. */
  proxy?: HttpProxy | false;
}

/** An answer: any HTTP status resolves, with the body as text. */
export interface HttpClientResponse {
  status: number;
  headers: unknown;
  data: unknown;
}

/** What the senders send with: `createHttpClient`'s client, or a fake of the same shape in tests. */
export interface HttpClient {
  request(config: HttpClientRequest): Promise<HttpClientResponse>;
}

/** An error of the transport, with the code `classifyHttpError` reads (`ETIMEDOUT`, `ERR_CANCELED`, …). */
export class HttpTransportError extends Error {
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpTransportError';
  }
}

/** An answer body larger than the client reads (`NM_HTTP_MAX_RESPONSE_BYTES`). */
export class ResponseTooLargeError extends HttpTransportError {
  constructor(readonly limit: number) {
    super(`the answer is larger than ${limit} bytes`, 'ERR_RESPONSE_TOO_LARGE');
  }
}

/** The operator's proxies for the senders: `HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY` (upper or lower case). */
export interface EnvProxies {
  http?: HttpProxy;
  https?: HttpProxy;
  /** `NO_PROXY` names: `*`, a host or domain (`.example.com`, `*.example.com`), optionally with `:port`. */
  noProxy: readonly string[];
  /** `NO_PROXY` IP ranges (`10.0.0.0/8`, `fd00::/8`), as tests of an address. */
  noProxyRanges: ReadonlyArray<(address: string) => boolean>;
}

/** A proxy URL that is not one: not a URL (`scheme` unset), or not `http:`/`https:`. */
export class ProxyUrlError extends Error {
  constructor(readonly scheme?: string) {
    super(scheme === undefined ? 'not a URL' : `unsupported proxy scheme ${scheme}`);
    this.name = 'ProxyUrlError';
  }
}

/** An `http://` or `https://` proxy URL (user info as Basic credentials); throws `ProxyUrlError`. */
export function parseProxyUrl(raw: string): HttpProxy {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ProxyUrlError();
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ProxyUrlError(u.protocol);
  return {
    protocol: u.protocol.slice(0, -1),
    host: u.hostname,
    port: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80,
    ...(u.username ? { auth: { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } } : {}),
  };
}

/** How an agent tunnels through `p` with `CONNECT`. */
export function tunnelOf(p: HttpProxy): TunnelProxy {
  return { host: p.host, port: p.port, ...(p.auth ? { auth: p.auth } : {}), tls: p.protocol === 'https' };
}

function proxyFromValue(name: string, raw: string): HttpProxy {
  try {
    return parseProxyUrl(raw.includes('://') ? raw : `http://${raw}`);
  } catch (err) {
    if (err instanceof ProxyUrlError && err.scheme !== undefined) throw new Error(`${name}: "${raw}" is not an http:// or https:// proxy URL`);
    throw new Error(`${name}: "${raw}" is not a proxy URL (http://host:port)`);
  }
}

/** Reads the proxy variables; throws naming a variable whose value is not a proxy URL. */
export function proxiesFromEnv(env: Record<string, string | undefined> = process.env): EnvProxies {
  const read = (name: string): { name: string; value: string } | undefined => {
    for (const n of [name, name.toLowerCase()]) {
      const v = env[n]?.trim();
      if (v) return { name: n, value: v };
    }
    return undefined;
  };
  const http = read('HTTP_PROXY');
  const https = read('HTTPS_PROXY');
  const no = read('NO_PROXY');
  const noProxy: string[] = [];
  const noProxyRanges: Array<(address: string) => boolean> = [];
  for (const entry of (no?.value ?? '').split(/[\s,]+/)) {
    const e = entry.trim().toLowerCase();
    if (!e) continue;
    const range = e.includes('/') ? cidrMatcher(e) : undefined;
    if (range) noProxyRanges.push(range);
    else noProxy.push(e);
  }
  return {
    ...(http ? { http: proxyFromValue(http.name, http.value) } : {}),
    ...(https ? { https: proxyFromValue(https.name, https.value) } : {}),
    noProxy,
    noProxyRanges,
  };
}

/** The proxy a request to `url` goes through under `proxies`, or undefined when it goes direct. */
export function envProxyFor(url: URL, proxies: EnvProxies): HttpProxy | undefined {
  const proxy = url.protocol === 'https:' ? proxies.https : proxies.http;
  if (!proxy) return undefined;
  const host = hostOf(url.hostname).toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (proxies.noProxyRanges.some((inRange) => inRange(host))) return undefined;
  for (const entry of proxies.noProxy) {
    if (entry === '*') return undefined;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry.replace(/^\[(.*)\]/, '$1'))!;
    if (m[2] && m[2] !== port) continue;
    const name = m[1]!.replace(/^\*?\./, '');
    if (host === name || host.endsWith(`.${name}`)) return undefined;
  }
  return proxy;
}

const hostOf = (hostname: string): string => (hostname.startsWith('[') ? hostname.slice(1, -1) : hostname);

/**
 * A client that never throws on HTTP status and hands back the raw body text. Its agents connect
 * only to addresses the egress guard allowed, checked after resolution at connect time; every
 * request carries the `traceparent` of the active span (a sender's delivery span), so the
 * receiving system joins the trace.
 */
export function createHttpClient(opts: HttpClientOptions = {}): HttpClient {
  const guarded = { keepAlive: true, ...(opts.egressGuard ? { guard: opts.egressGuard } : {}), ...(opts.connector ? { connector: opts.connector } : {}) };
  const maxResponseBytes = opts.maxResponseBytes ?? maxResponseBytesFromEnv();
  const defaultTimeout = opts.timeoutMs ?? 10_000;
  const httpAgent = new GuardedHttpAgent(guarded);
  const httpsAgent = new GuardedHttpsAgent(guarded);
  const proxies = proxiesFromEnv(opts.proxyEnv ?? process.env);
  // https through the operator's HTTPS_PROXY: a CONNECT tunnel in an agent of its own (made on first use)
  let tunnelAgent: GuardedHttpsAgent | undefined;
  const tunnel = (p: HttpProxy): GuardedHttpsAgent => (tunnelAgent ??= new GuardedHttpsAgent({ ...guarded, proxy: tunnelOf(p) }));
  return {
    request: async (config) => {
      let url: URL;
      try {
        url = new URL(config.url);
      } catch {
        throw new HttpTransportError('the URL is invalid', 'ERR_INVALID_URL');
      }
      const https = url.protocol === 'https:';
      if (!https && url.protocol !== 'http:') throw new HttpTransportError(`unsupported URL scheme ${url.protocol}`, 'ERR_BAD_OPTION_VALUE');
      // a request without its own proxy setting (`false`: none) goes through the operator's proxy, if any
      const envProxy = config.proxy === undefined ? envProxyFor(url, proxies) : undefined;
      // an http request through a proxy (the operator's or a webhook's) is sent in absolute form
      const proxy = https ? undefined : config.proxy || envProxy;
      if (proxy) {
        // the proxy resolves the target itself; refuse what this host can already see is denied
        await (opts.egressGuard ?? defaultEgressGuard()).checkProxiedTarget(hostOf(url.hostname), url.port ? Number(url.port) : 80);
      }
      return new Promise<HttpClientResponse>((resolve, reject) => {
        if (config.signal?.aborted) {
          reject(new HttpTransportError('canceled', 'ERR_CANCELED'));
          return;
        }
        const headers: OutgoingHttpHeaders = { Accept: 'application/json, text/plain, */*', 'User-Agent': 'notification-manager', ...config.headers };
        for (const [k, v] of Object.entries(injectTraceparent({}))) headers[k] = v;
        const body = config.data === undefined ? undefined : Buffer.from(config.data, 'utf8');
        if (body) headers['Content-Length'] = body.byteLength;
        const method = (config.method ?? 'GET').toUpperCase();
        let options: RequestOptions;
        let viaHttps = https;
        if (proxy) {
          // absolute form: the proxy gets the whole URL and connects to the target itself
          viaHttps = proxy.protocol === 'https';
          headers.Host = url.host;
          if (proxy.auth) headers['Proxy-Authorization'] = `Basic ${Buffer.from(`${proxy.auth.username}:${proxy.auth.password}`, 'utf8').toString('base64')}`;
          options = { host: hostOf(proxy.host), port: proxy.port, path: url.href, method, headers, agent: viaHttps ? httpsAgent : httpAgent };
        } else {
          options = {
            host: hostOf(url.hostname),
            port: url.port ? Number(url.port) : https ? 443 : 80,
            path: `${url.pathname}${url.search}`,
            method,
            headers,
            agent: https ? (config.httpsAgent ?? (envProxy ? tunnel(envProxy) : httpsAgent)) : httpAgent,
          };
        }
        const timeout = config.timeout ?? defaultTimeout;
        let settled = false;
        const finish = (err: Error | undefined, res?: HttpClientResponse): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          config.signal?.removeEventListener('abort', onAbort);
          if (err) {
            req.destroy();
            reject(err);
          } else resolve(res!);
        };
        const onAbort = (): void => finish(new HttpTransportError('canceled', 'ERR_CANCELED'));
        const req = (viaHttps ? httpsTransport : httpTransport)(options, (res: IncomingMessage) => {
          const declared = Number(res.headers['content-length']);
          if (declared > maxResponseBytes) {
            res.resume();
            finish(new ResponseTooLargeError(maxResponseBytes));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.byteLength;
            if (size > maxResponseBytes) {
              res.destroy();
              finish(new ResponseTooLargeError(maxResponseBytes));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, data: Buffer.concat(chunks, size).toString('utf8') }));
          res.on('error', (err) => finish(err));
          res.on('close', () => {
            if (!res.complete) finish(new HttpTransportError('the connection closed before the answer ended', 'ECONNRESET'));
          });
        });
        const timer = setTimeout(() => finish(new HttpTransportError(`timeout of ${timeout}ms exceeded`, 'ETIMEDOUT')), timeout);
        config.signal?.addEventListener('abort', onAbort, { once: true });
        req.on('error', (err) => finish(err));
        req.end(body);
      });
    },
  };
}

export interface HttpReply {
  status: number;
  headers: Record<string, string | undefined>;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  body?: unknown;
  /** A body sent byte for byte (a signed form or JSON; its Content-Type in `headers`); wins over `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Overrides the client's timeout for this request (`options.<channel>.notificationTimeout`). */
  timeoutMs?: number | undefined;
}

/**
 * Sends one request. Transport failures (reset, timeout, TLS) reject with a classified error
 * whose message and cause carry no URL or header; any HTTP status resolves.
 */
export async function httpRequest(http: HttpClient, req: HttpRequest, vendor: string): Promise<HttpReply> {
  try {
    const res = await http.request({
      method: req.method,
      url: req.url,
      ...(req.rawBody !== undefined ? { data: req.rawBody } : req.body === undefined ? {} : { data: JSON.stringify(req.body) }),
      headers: {
        ...(req.body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
        ...req.headers,
      },
      ...(req.signal ? { signal: req.signal } : {}),
      ...(req.timeoutMs !== undefined ? { timeout: req.timeoutMs } : {}),
    });
    const text = typeof res.data === 'string' ? res.data : '';
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(res.headers as Record<string, unknown>)) {
      headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
    }
    return { status: res.status, headers, text, json: parseJson(text) };
  } catch (err) {
    throw classifyHttpError(err, vendor);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const CODE_FIELDS = ['errcode', 'error_code', 'errorCode', 'code', 'error', 'status', 'StatusCode'];
const SHORT_CODE = /^[\w.:-]{1,40}$/;

/**
 * What of a reply body may go into an error message (and so into history, readable by the
 * tenant who configured the destination): only a short vendor error code found in a JSON body
 * (`errcode`, `error_code`, `code`, `error`, …), else the body's size. Never the body's text, so
 * a destination cannot be used to read an internal service's answers back.
 */
export function excerpt(text: string): string {
  const size = `${Buffer.byteLength(text, 'utf8')}-byte answer`;
  const json = parseJson(text);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return size;
  for (const field of CODE_FIELDS) {
    const value = (json as Record<string, unknown>)[field];
    if ((typeof value === 'string' || typeof value === 'number') && SHORT_CODE.test(String(value))) return `${field} ${String(value)}`;
  }
  return size;
}

const SECRET_PATH_MARKERS = new Set(['hook', 'hooks', 'services', 'webhooks']);

/**
 * A webhook URL without anything secret: user info, query (access_token, key, sign) and fragment
 * are dropped, and path segments after a `hook`/`services`/`webhooks` segment are masked.
 */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return '<invalid url>';
  }
  const segments = url.pathname.split('/');
  const at = segments.findIndex((s) => SECRET_PATH_MARKERS.has(s.toLowerCase()));
  const path =
    at >= 0 && at < segments.length - 1
      ? [...segments.slice(0, at + 1), ...segments.slice(at + 1).map((s) => (s ? '***' : s))].join('/')
      : url.pathname;
  return `${url.protocol}//${url.host}${path}`;
}
