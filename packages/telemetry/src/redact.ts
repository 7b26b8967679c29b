/**
 * What the logger never writes: values under credential-like keys at any depth (of plain
 * objects, arrays and errors), header values, and the credentials inside URLs.
 *
 * Key names are compared without case, `-` and `_` (`app_secret`, `appSecret` and `AppSecret`
 * are one name).
 */

export const REDACTED = '[redacted]';

/** A key with one of these names is redacted whatever its value. */
export const SECRET_KEY_NAMES: readonly string[] = [
  'password',
  'passwd',
  'secret',
  'token',
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'credentials',
  'webhook',
  'apikey',
  'secretkey',
  'privatekey',
  'accesskey',
  'signature',
];

/** A key whose name ends with one of these is redacted (`bearerToken`, `appSecret`, `smtpPassword`, `tenant_access_token`). */
export const SECRET_KEY_SUFFIXES: readonly string[] = ['password', 'secret', 'token', 'apikey', 'secretkey', 'privatekey'];

/** Keys holding header maps: names are kept, every value is redacted. */
export const HEADER_KEY_NAMES: readonly string[] = ['headers'];

/** Keys holding URLs (also any key ending in `url`/`urls`): logged without credentials, path or query (`redactUrl`). */
export const URL_KEY_NAMES: readonly string[] = ['url', 'urls', 'uri', 'servers'];

const norm = (key: string): string => key.toLowerCase().replace(/[-_]/g, '');
const secretNames = new Set(SECRET_KEY_NAMES);
const headerNames = new Set(HEADER_KEY_NAMES);
const urlNames = new Set(URL_KEY_NAMES);

export function isSecretKey(key: string): boolean {
  const k = norm(key);
  return secretNames.has(k) || SECRET_KEY_SUFFIXES.some((s) => k.endsWith(s));
}

const isUrlKey = (k: string): boolean => urlNames.has(k) || k.endsWith('url') || k.endsWith('urls');

/** One URL without its credentials: scheme, host and port; a path or query becomes `/…`. */
function redactOneUrl(raw: string): string {
  const text = raw.trim();
  if (text === '') return raw;
  try {
    const u = new URL(text.includes('://') ? text : `tcp://${text}`);
    if (!u.host) return REDACTED;
    const rest = (u.pathname !== '' && u.pathname !== '/') || u.search !== '' || u.hash !== '' ? '/…' : '';
    return text.includes('://') ? `${u.protocol}//${u.host}${rest}` : `${u.host}${rest}`;
  } catch {
    return /[@?]/.test(text) ? REDACTED : text;
  }
}

/**
 * A URL (or a comma-separated list of them, as `NATS_URL` takes) for a log line: user and password,
 * path, query and fragment removed (`nats://u:p@h:4222` → `nats://h:4222`,
 * `https://hooks.slack.com/services/T/B/X` → `https://hooks.slack.com/…`).
 */
export function redactUrl(url: string): string {
  return url
    .split(',')
    .map((part) => redactOneUrl(part))
    .join(',');
}

const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;
const SECRET_QUERY = /([?&;](?:access_?token|token|secret|app_?secret|key|api_?key|sign|signature|password|sig)=)[^&\s#"']*/gi;

/** Free text (error messages, stacks) with URL credentials and secret query parameters removed. */
export function scrubText(text: string): string {
  if (!text.includes('://') && !text.includes('=')) return text;
  return text.replace(USERINFO, '$1').replace(SECRET_QUERY, `$1${REDACTED}`);
}

const MAX_DEPTH = 12;

function redactHeaders(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return REDACTED;
  return Object.fromEntries(Object.keys(value).map((k) => [k, REDACTED]));
}

function redactUrlValue(value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (typeof value === 'string') return redactUrl(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? redactUrl(v) : walk(v, seen, depth + 1)));
  if (value instanceof URL) return redactUrl(value.href);
  return walk(value, seen, depth);
}

type KeyKind = 'secret' | 'headers' | 'url' | 'plain';
/** Kinds of the key names met so far (log objects reuse a few hundred names). */
const kinds = new Map<string, KeyKind>();
function kindOf(key: string): KeyKind {
  let kind = kinds.get(key);
  if (kind === undefined) {
    const k = norm(key);
    kind = isSecretKey(key) ? 'secret' : headerNames.has(k) ? 'headers' : isUrlKey(k) ? 'url' : 'plain';
    if (kinds.size < 10_000) kinds.set(key, kind);
  }
  return kind;
}

function entry(key: string, value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (value === undefined || value === null) return value;
  switch (kindOf(key)) {
    case 'secret':
      return REDACTED;
    case 'headers':
      return redactHeaders(value);
    case 'url':
      return redactUrlValue(value, seen, depth);
    default:
      return walk(value, seen, depth + 1);
  }
}

function redactError(err: Error, seen: WeakSet<object>, depth: number): Error {
  const out = Object.create(Object.getPrototypeOf(err) as object | null) as Error & Record<string, unknown>;
  const hidden = (name: string, value: unknown): void => {
    Object.defineProperty(out, name, { value, enumerable: false, writable: true, configurable: true });
  };
  hidden('message', scrubText(String(err.message)));
  if (typeof err.stack === 'string') hidden('stack', scrubText(err.stack));
  if (Object.hasOwn(err, 'name')) hidden('name', err.name);
  if (err.cause !== undefined) hidden('cause', walk(err.cause, seen, depth + 1));
  const errors = (err as { errors?: unknown }).errors;
  if (Array.isArray(errors)) hidden('errors', errors.map((e) => walk(e, seen, depth + 1)));
  for (const [k, v] of Object.entries(err)) out[k] = entry(k, v, seen, depth);
  return out;
}

function walk(value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_DEPTH) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  if (value instanceof Error) {
    seen.add(value);
    return redactError(value, seen, depth);
  }
  if (Array.isArray(value)) {
    seen.add(value);
    return value.map((v) => walk(v, seen, depth + 1));
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value; // Date, Buffer, class instances: as pino writes them
  seen.add(value);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = entry(k, v, seen, depth);
  return out;
}

/** A copy of a log object with every secret redacted (see the lists above); the input is not changed. */
export function redactLogObject<T extends object>(obj: T): T {
  return walk(obj, new WeakSet(), 0) as T;
}
