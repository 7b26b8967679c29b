/**
 * How channel failures are classified: HTTP replies, socket and TLS errors, vendor result codes
 * and SMTP replies become errors of the one taxonomy of `@nm/errors` (retryable, permanent, or a
 * wait on shared infrastructure), which the consume loop acts on by class.
 */
import { ClassifiedError, PermanentError, RetryableError } from '@nm/errors';

/** The longest `Retry-After` honoured by default (`NM_RETRY_AFTER_MAX`): 5 minutes. */
export const DEFAULT_RETRY_AFTER_MAX_MS = 5 * 60_000;

/** `NM_RETRY_AFTER_MAX`: `300`, `300s`, `5m`, `1h` or `1500ms`; throws naming the variable. */
export function retryAfterMaxFromEnv(env: Record<string, string | undefined> = process.env): number {
  const raw = env.NM_RETRY_AFTER_MAX?.trim();
  if (!raw) return DEFAULT_RETRY_AFTER_MAX_MS;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw);
  if (!m) throw new Error(`NM_RETRY_AFTER_MAX: "${raw}" is not a duration (e.g. 300, 90s, 5m, 1h)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

let retryAfterMaxMs: number | undefined;

/** The cap on waits a server or vendor asks for; set once by a service from its environment. */
export function setRetryAfterMax(ms: number | undefined): void {
  retryAfterMaxMs = ms;
}

export function retryAfterMax(): number {
  retryAfterMaxMs ??= retryAfterMaxFromEnv();
  return retryAfterMaxMs;
}

/**
 * Retry-After is either delta-seconds or an HTTP date. Returns milliseconds from `now`, capped at
 * {@link retryAfterMax} (a server cannot park a notification for days).
 */
export function parseRetryAfter(value: unknown, now: number = Date.now(), maxMs: number = retryAfterMax()): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (text === '') return undefined;
  let ms: number | undefined;
  if (/^\d+(\.\d+)?$/.test(text)) ms = Math.round(Number(text) * 1000);
  else {
    const at = Date.parse(text);
    ms = Number.isNaN(at) ? undefined : Math.max(0, at - now);
  }
  return ms === undefined ? undefined : Math.min(ms, maxMs);
}

/** An error, or the classified error it was raised from (an agent's refusal inside a transport error). */
function classifiedCause(error: unknown): ClassifiedError | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    if (e instanceof ClassifiedError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A reply detail as error messages carry it: short and code-like, or dropped. */
export function shortDetail(detail: string | undefined): string | undefined {
  const flat = detail?.replace(/\s+/g, ' ').trim();
  if (!flat) return undefined;
  return flat.length <= 80 && /^[\w .:,()/'#-]+$/.test(flat) ? flat : `${Buffer.byteLength(flat, 'utf8')}-byte detail withheld`;
}

/** A non-success HTTP reply, as handed to {@link classifyHttpError}. */
export interface HttpFailure {
  status: number;
  headers?: Record<string, string | undefined>;
  /** A short, secret-free description of the reply (vendor error code, body excerpt). */
  detail?: string;
}

const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_CANCELED',
  'ERR_NETWORK',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** TLS verification failures are configuration problems: retrying does not help. */
function isTlsVerificationCode(code: string): boolean {
  return (
    code.startsWith('CERT_') ||
    code.startsWith('ERR_TLS_CERT') ||
    code.includes('SELF_SIGNED') ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' ||
    code === 'HOSTNAME_MISMATCH'
  );
}

function errorCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Classifies an HTTP-level failure: an HTTP reply that is not a success (`HttpFailure`), a transport
 * or socket error (network failures retry, TLS verification failures do not), or an already
 * classified error (returned as is). 408, 425, 429 and 5xx are retryable, with `Retry-After`
 * honoured; every other status is permanent. Unknown errors are retryable so that the retry budget
 * and then the dead-letter queue decide, never a silent drop.
 */
export function classifyHttpError(failure: unknown, vendor = 'http', now: number = Date.now()): ClassifiedError {
  if (failure instanceof ClassifiedError) return failure;
  if (isHttpFailure(failure)) {
    const { status } = failure;
    // a reply's text never reaches history: a short code-like detail, or its size
    const short = shortDetail(failure.detail);
    const detail = short ? `: ${short}` : '';
    const message = `${vendor} answered HTTP ${status}${detail}`;
    if (status === 408 || status === 425 || status === 429 || status >= 500) {
      const retryAfterMs = parseRetryAfter(failure.headers?.['retry-after'], now);
      return new RetryableError(message, {
        code: `${vendor}:http-${status}`,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    return new PermanentError(message, { code: `${vendor}:http-${status}` });
  }
  // refused by the egress guard, a proxy or the resolver: the agent's own classification stands
  const inner = classifiedCause(failure);
  if (inner) return inner;
  const code = errorCodeOf(failure) ?? 'UNKNOWN';
  const text = failure instanceof Error ? failure.message : String(failure);
  if (code === 'ERR_RESPONSE_TOO_LARGE') {
    const limit = (failure as { limit?: unknown }).limit;
    return new PermanentError(`${vendor} answer is larger than ${String(limit)} bytes (NM_HTTP_MAX_RESPONSE_BYTES); not read`, {
      code: `${vendor}:response-too-large`,
    });
  }
  // A sanitised cause: a transport error's own properties may hold request details (URLs with keys).
  const cause = Object.assign(new Error(text), { code });
  if (isTlsVerificationCode(code)) {
    return new PermanentError(`${vendor} TLS verification failed: ${text}`, { code: `${vendor}:tls`, cause });
  }
  if (code === 'ERR_INVALID_URL' || code === 'ERR_BAD_OPTION_VALUE') {
    return new PermanentError(`${vendor} request is invalid: ${text}`, { code: `${vendor}:invalid-request`, cause });
  }
  const kind = RETRYABLE_NETWORK_CODES.has(code) ? code : 'UNKNOWN';
  return new RetryableError(`${vendor} request failed: ${text}`, { code: `${vendor}:network-${kind}`, cause });
}

function isHttpFailure(value: unknown): value is HttpFailure {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Error) &&
    typeof (value as { status?: unknown }).status === 'number'
  );
}

/** Vendor error codes that mean "try again later". Everything else the vendor rejects is permanent. */
const RETRYABLE_VENDOR_CODES: Record<string, ReadonlySet<string>> = {
  // system busy, API frequency limits, token expired / invalid after a refresh
  wechat: new Set(['-1', '45009', '45033', '45047', '42001', '40014']),
  // system busy, "send too fast", robot punished, token problems after a refresh
  dingtalk: new Set(['-1', '130101', '130102', '42001', '40014', '88', 'punished']),
  // bot rate limits, open-platform rate limit, internal errors, tokens after a refresh
  feishu: new Set(['9499', '11232', '99991400', '99991663', '99991677', '1000004', '1000005']),
  slack: new Set(['ratelimited', 'rate_limited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']),
};

/** Access-token errors after which a sender refreshes its token once. */
export const TOKEN_EXPIRED_CODES: Record<'wechat' | 'dingtalk' | 'feishu', ReadonlySet<string>> = {
  wechat: new Set(['42001', '40014']),
  dingtalk: new Set(['42001', '40014']),
  feishu: new Set(['99991661', '99991663', '99991668', '99991671', '99991677']),
};

/**
 * Default wait before retrying a vendor rate-limit code that carries no Retry-After. Codes not
 * listed (Feishu's 9499/11232) get exponential backoff from the retry policy instead.
 */
const VENDOR_RETRY_AFTER_MS: Record<string, number> = {
  'wechat:45009': 60_000,
  'dingtalk:130101': 60_000,
  'dingtalk:130102': 60_000,
  'dingtalk:punished': 60_000,
};

/** Classifies an error a vendor reported inside a (usually HTTP 200) reply body. */
export function classifyVendorError(
  vendor: 'wechat' | 'dingtalk' | 'feishu' | 'slack',
  code: string | number,
  message: string,
  retryAfterMs?: number,
): RetryableError | PermanentError {
  // a code that is not code-like is not repeated either (it lands in history and error codes)
  const c = /^[\w.:-]{1,40}$/.test(String(code)) ? String(code) : 'unrecognised';
  const full = `${vendor}:${c}`;
  // the vendor's words only when short (a robot URL may point anywhere: history must not carry its answers)
  const said = shortDetail(message);
  const text = `${vendor} error ${c}${said ? `: ${said}` : ''}`;
  if (RETRYABLE_VENDOR_CODES[vendor]?.has(c)) {
    const asked = retryAfterMs ?? VENDOR_RETRY_AFTER_MS[full];
    const wait = asked === undefined ? undefined : Math.min(asked, retryAfterMax());
    return new RetryableError(text, { code: full, ...(wait !== undefined ? { retryAfterMs: wait } : {}) });
  }
  return new PermanentError(text, { code: full });
}

/** SMTP replies: 4xx is transient, 5xx permanent; connection failures retry, TLS/auth problems do not. */
export function classifySmtpError(error: unknown): RetryableError | PermanentError {
  // refused by the egress guard or the resolver before any SMTP was spoken
  if (error instanceof RetryableError || error instanceof PermanentError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    responseCode?: unknown;
    code?: unknown;
    message?: unknown;
  };
  const message = typeof e.message === 'string' ? e.message : String(error);
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const code = typeof e.code === 'string' ? e.code : 'UNKNOWN';
  const cause = Object.assign(new Error(message), { code });
  if (responseCode !== undefined && responseCode >= 400 && responseCode < 500) {
    return new RetryableError(`smtp: ${message}`, { code: `smtp:${responseCode}`, cause });
  }
  if (responseCode !== undefined && responseCode >= 500) {
    return new PermanentError(`smtp: ${message}`, { code: `smtp:${responseCode}`, cause });
  }
  const low = message.toLowerCase();
  if (
    isTlsVerificationCode(code) ||
    low.includes('certificate') ||
    low.includes('self-signed') ||
    low.includes('self signed') ||
    low.includes('hostname/ip does not match')
  ) {
    return new PermanentError(`smtp TLS verification failed: ${message}`, { code: 'smtp:tls', cause });
  }
  if (code === 'EAUTH' || code === 'EENVELOPE' || code === 'EMESSAGE' || code === 'EREQUIRETLS') {
    return new PermanentError(`smtp: ${message}`, { code: `smtp:${code}`, cause });
  }
  return new RetryableError(`smtp: ${message}`, { code: `smtp:${code}`, cause });
}
