/** The senders' single way out to vendor HTTP APIs (axios), plus URL redaction for results. */
import axios, { type AxiosInstance } from 'axios';
import { classifyHttpError } from './channel.errors.js';

export interface HttpClientOptions {
  /** Per-request timeout (default 10 s; notification-manager's DingTalk calls had none). */
  timeoutMs?: number;
}

/** An axios instance that never throws on HTTP status and hands back the raw body text. */
export function createHttpClient(opts: HttpClientOptions = {}): AxiosInstance {
  return axios.create({
    timeout: opts.timeoutMs ?? 10_000,
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    maxRedirects: 0,
  });
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
      ...(req.body === undefined ? {} : { data: JSON.stringify(req.body) }),
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

/** A short excerpt of a reply body for error messages. */
export function excerpt(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
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
