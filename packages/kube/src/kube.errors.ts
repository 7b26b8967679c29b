/** Errors of the Kubernetes client, read without loading it (callers outside Kubernetes mode import this alone). */

/** The HTTP status of an error from the client (API exceptions and failed watches), if any. */
export function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** One line for a client error: status and message, or the network error code. */
export function describeError(err: unknown): string {
  const status = statusOf(err);
  const e = err as { message?: unknown; code?: unknown; body?: unknown };
  let message = typeof e?.message === 'string' ? e.message : String(err);
  const body = e?.body;
  if (status !== undefined && typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed.message === 'string') message = parsed.message;
    } catch {
      // not a Status body
    }
  } else if (status !== undefined && typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') {
    message = (body as { message: string }).message;
  }
  const code = typeof e?.code === 'string' ? ` (${e.code})` : '';
  return status !== undefined ? `HTTP ${status}: ${message.split('\n')[0]}` : `${message.split('\n')[0]}${code}`;
}
