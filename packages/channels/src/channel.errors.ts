/**
 * How channel failures are classified: HTTP replies, socket and TLS errors, vendor result codes
 * and SMTP replies become errors of the one taxonomy of `@nm/errors` (retryable, permanent, or a
 * wait on shared infrastructure), which the consume loop acts on by class.
 */
import { isAxiosError } from 'axios';
import { ClassifiedError, PermanentError, RetryableError } from '@nm/errors';

/** Retry-After is either delta-seconds or an HTTP date. Returns milliseconds from `now`. */
export function parseRetryAfter(value: unknown, now: number = Date.now()): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
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
 * Classifies an HTTP-level failure: an HTTP reply that is not a success (`HttpFailure`), an axios
 * or socket error (network failures retry, TLS verification failures do not), or an already
 * classified error (returned as is). 408, 425, 429 and 5xx are retryable, with `Retry-After`
 * honoured; every other status is permanent. Unknown errors are retryable so that the retry budget
 * and then the dead-letter queue decide, never a silent drop.
 */
export function classifyHttpError(failure: unknown, vendor = 'http', now: number = Date.now()): ClassifiedError {
  if (failure instanceof ClassifiedError) return failure;
  if (isHttpFailure(failure)) {
    const { status } = failure;
    const detail = failure.detail ? `: ${failure.detail}` : '';
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
  if (isAxiosError(failure) && failure.response) {
    return classifyHttpError({ status: failure.response.status, headers: {} }, vendor, now);
  }
  const code = errorCodeOf(failure) ?? 'UNKNOWN';
  const text = failure instanceof Error ? failure.message : String(failure);
  // A sanitised cause: axios errors hold the request config (URLs with keys, bearer headers).
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
  const c = String(code);
  const full = `${vendor}:${c}`;
  const text = `${vendor} error ${c}${message ? `: ${message}` : ''}`;
  if (RETRYABLE_VENDOR_CODES[vendor]?.has(c)) {
    const wait = retryAfterMs ?? VENDOR_RETRY_AFTER_MS[full];
    return new RetryableError(text, { code: full, ...(wait !== undefined ? { retryAfterMs: wait } : {}) });
  }
  return new PermanentError(text, { code: full });
}

/** SMTP replies: 4xx is transient, 5xx permanent; connection failures retry, TLS/auth problems do not. */
export function classifySmtpError(error: unknown): RetryableError | PermanentError {
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
