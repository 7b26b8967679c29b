/**
 * Splits a notification into chunks under a channel's byte limit, on UTF-8 boundaries.
 *
 * Alerts are grouped greedily in their order: each chunk holds as many consecutive alerts as fit
 * once rendered (found by galloping + binary search, so a large group costs O(log n) renders per
 * chunk, not O(n)). An alert that alone exceeds the limit is never dropped: its rendered text is
 * cut and ends with a visible `…[truncated N bytes]` marker.
 */
import type { Alert } from '@nm/contracts';
import type { OutgoingMessage, Rendered } from './channel.types.js';

export interface MessageChunk extends Rendered {
  alertIds: readonly string[];
  /** Set when the text was cut to fit: how many bytes were removed. */
  truncatedBytes?: number;
}

export interface SplitOptions {
  /** Limit of the measured size, in bytes. `Infinity` disables splitting. */
  maxBytes: number;
  /** Size of a rendered chunk; defaults to the UTF-8 length of the body. */
  measure?: (rendered: Rendered) => number;
  /** Shortens one oversize rendered chunk to fit; defaults to a visible cut of the body. */
  truncate?: (rendered: Rendered, maxBytes: number) => { rendered: Rendered; truncatedBytes: number };
  /** Caller-rendered chunks over the limit: split at line boundaries (default) or truncate. */
  oversizeRendered?: 'split' | 'truncate';
}

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, never cutting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return text;
  let end = Math.max(0, Math.floor(maxBytes));
  // step back over continuation bytes (10xxxxxx) to the start of the cut character
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

export const truncationMarker = (bytes: number): string => `\n…[truncated ${bytes} bytes]`;

/** Cuts `text` to `maxBytes` including a marker that says how many bytes were removed. */
export function truncateVisibly(text: string, maxBytes: number): { text: string; truncatedBytes: number } {
  const total = utf8Length(text);
  if (total <= maxBytes) return { text, truncatedBytes: 0 };
  let removed = total - maxBytes;
  for (;;) {
    const marker = truncationMarker(removed);
    const room = maxBytes - utf8Length(marker);
    if (room <= 0) return { text: truncateUtf8(marker.trimStart(), maxBytes), truncatedBytes: total };
    const kept = truncateUtf8(text, room);
    const actuallyRemoved = total - utf8Length(kept);
    if (actuallyRemoved === removed) return { text: kept + marker, truncatedBytes: removed };
    removed = actuallyRemoved; // the marker's digit count or a character boundary moved the cut
  }
}

/** Splits text into pieces of at most `maxBytes`, preferring to break at newlines. */
export function splitUtf8Text(text: string, maxBytes: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (utf8Length(rest) > maxBytes) {
    const prefix = truncateUtf8(rest, maxBytes);
    const nl = prefix.lastIndexOf('\n');
    if (nl > 0) {
      pieces.push(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
    } else {
      const cut = prefix.length > 0 ? prefix : rest.slice(0, 1);
      pieces.push(cut);
      rest = rest.slice(cut.length);
    }
  }
  pieces.push(rest);
  return pieces;
}

const defaultMeasure = (r: Rendered): number => utf8Length(r.body);

const defaultTruncate = (r: Rendered, maxBytes: number): { rendered: Rendered; truncatedBytes: number } => {
  const { text, truncatedBytes } = truncateVisibly(r.body, maxBytes);
  return { rendered: { ...r, body: text }, truncatedBytes };
};

/** Splits a message into chunks whose measured size is at most `opts.maxBytes`. */
export function splitMessage(message: OutgoingMessage, opts: SplitOptions): MessageChunk[] {
  const measure = opts.measure ?? defaultMeasure;
  const truncate = opts.truncate ?? defaultTruncate;
  const fit = (r: Rendered, alertIds: readonly string[]): MessageChunk => {
    const size = measure(r);
    if (size <= opts.maxBytes) return { ...r, alertIds };
    // measure may count more than the body (escaping, envelope): shrink the body budget by the excess
    let budget = Math.max(0, utf8Length(r.body) - (size - opts.maxBytes));
    let cut = truncate(r, budget);
    for (let i = 0; i < 8 && budget > 0 && measure(cut.rendered) > opts.maxBytes; i++) {
      budget = Math.max(0, budget - (measure(cut.rendered) - opts.maxBytes));
      cut = truncate(r, budget);
    }
    return { ...cut.rendered, alertIds, truncatedBytes: cut.truncatedBytes };
  };

  if (message.kind === 'rendered') {
    const out: MessageChunk[] = [];
    for (const chunk of message.chunks) {
      const ids = chunk.alertIds ?? [];
      const r: Rendered = chunk.title === undefined ? { body: chunk.body } : { title: chunk.title, body: chunk.body };
      const size = measure(r);
      if (size <= opts.maxBytes || opts.oversizeRendered === 'truncate') {
        out.push(fit(r, ids));
        continue;
      }
      const budget = Math.max(1, utf8Length(r.body) - (size - opts.maxBytes));
      for (const body of splitUtf8Text(r.body, budget)) out.push(fit({ ...r, body }, ids));
    }
    return out;
  }

  const { alerts, render } = message;
  if (alerts.length === 0) return [fit(render([]), [])];
  const fits = (from: number, to: number): Rendered | undefined => {
    const r = render(alerts.slice(from, to));
    return measure(r) <= opts.maxBytes ? r : undefined;
  };
  const ids = (from: number, to: number): string[] => alerts.slice(from, to).map((a: Alert) => a.id);

  const chunks: MessageChunk[] = [];
  let start = 0;
  while (start < alerts.length) {
    const all = fits(start, alerts.length);
    if (all) {
      chunks.push({ ...all, alertIds: ids(start, alerts.length) });
      break;
    }
    let good = fits(start, start + 1);
    if (!good) {
      chunks.push(fit(render(alerts.slice(start, start + 1)), ids(start, start + 1)));
      start += 1;
      continue;
    }
    // gallop: the largest known-fitting count `lo`, the smallest known-failing count `hi`
    let lo = 1;
    let hi = alerts.length - start;
    let step = 2;
    while (step < hi) {
      const r = fits(start, start + step);
      if (!r) {
        hi = step;
        break;
      }
      lo = step;
      good = r;
      step *= 2;
    }
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      const r = fits(start, start + mid);
      if (r) {
        lo = mid;
        good = r;
      } else hi = mid;
    }
    chunks.push({ ...good, alertIds: ids(start, start + lo) });
    start += lo;
  }
  return chunks;
}
