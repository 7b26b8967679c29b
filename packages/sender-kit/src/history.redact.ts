/**
 * The last line of defence for history records (and the dead letters that carry their error):
 * channels already report destinations without user info, query or the path after a `hooks`-like
 * segment, but a webhook URL may carry a token anywhere in its path (`/alerts/<token>`). Every
 * URL in a destination or an error text keeps its scheme, host, port and the path segments that
 * do not look like a token; a token-like segment becomes `***` and a query or fragment is dropped.
 */

/** A path segment that looks like a credential: 16+ characters mixing letters and digits, or any 32+ characters. */
const TOKEN_LIKE = /^(?:(?=[^/]*[A-Za-z])(?=[^/]*\d)[^/]{16,}|[^/]{32,})$/;

function maskPath(pathname: string): string {
  return pathname
    .split('/')
    .map((s) => (TOKEN_LIKE.test(decodeSafe(s)) ? '***' : s))
    .join('/');
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function maskUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw;
  }
  if (!url.host) return raw;
  return `${url.protocol}//${url.host}${maskPath(url.pathname)}`;
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;

/** A history destination with token-like path segments masked (not a URL: unchanged, e.g. an email address). */
export function secretFreeDestination(destination: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(destination) ? maskUrl(destination) : destination;
}

/** An error text with every URL in it reduced like a destination. */
export function secretFreeText(text: string): string {
  return text.includes('://') ? text.replace(URL_IN_TEXT, (u) => maskUrl(u)) : text;
}
