/** The senders' single way out to vendor HTTP APIs (axios), plus URL redaction for results. */
import axios, { type AxiosInstance } from 'axios';
import { injectTraceparent } from '@nm/telemetry';
import { classifyHttpError } from './channel.errors.js';
import { GuardedHttpAgent, GuardedHttpsAgent, type EgressConnector, type EgressGuard } from './egress.js';

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
}

/**
 * An axios instance that never throws on HTTP status and hands back the raw body text. Its agents
 * connect only to addresses the egress guard allowed, checked after resolution at connect time.
 */
export function createHttpClient(opts: HttpClientOptions = {}): AxiosInstance {
  const guarded = { keepAlive: true, ...(opts.egressGuard ? { guard: opts.egressGuard } : {}), ...(opts.connector ? { connector: opts.connector } : {}) };
  const maxResponseBytes = opts.maxResponseBytes ?? maxResponseBytesFromEnv();
  const client = axios.create({
    timeout: opts.timeoutMs ?? 10_000,
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    maxRedirects: 0,
    maxContentLength: maxResponseBytes,
    httpAgent: new GuardedHttpAgent(guarded),
    httpsAgent: new GuardedHttpsAgent(guarded),
  });
  // traceparent of the active span (a sender's delivery span): the receiving system joins the trace
  client.interceptors.request.use((config) => {
    for (const [k, v] of Object.entries(injectTraceparent({}))) config.headers.set(k, v);
    return config;
  });
  return client;
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
export async function httpRequest(http: AxiosInstance, req: HttpRequest, vendor: string): Promise<HttpReply> {
  try {
    const res = await http.request<string>({
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
    const text = typeof res.data === 'string' ? res.data : String(res.data ?? '');
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
