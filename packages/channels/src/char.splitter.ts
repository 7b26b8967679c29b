/**
 * Splitting for channels whose limits count characters, not bytes (Pushover 1024, Discord
 * 2000/4096, Telegram 4096). Lengths are UTF-16 code units (`string.length`): never fewer than the
 * code points the vendors count, so a chunk under the limit here is under theirs. Cuts never
 * separate a surrogate pair. Like the byte splitter, an alert that alone is too long is cut
 * visibly (`…[truncated N characters]`), never dropped.
 */
import type { OutgoingMessage, Rendered } from './channel.types.js';
import { splitMessage, utf8Length, type MessageChunk } from './message.splitter.js';

export interface CharSplitOptions {
  /** Limit of the body in characters, once `reserve` is added. */
  maxChars: number;
  /** Characters the sender adds to every body (mentions); counted against the limit. */
  reserve?: number;
}

/** The longest prefix of `text` of at most `max` UTF-16 units that does not end inside a surrogate pair. */
export function truncateChars(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, Math.floor(max));
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

export const charTruncationMarker = (chars: number): string => `\n…[truncated ${chars} characters]`;

/** Cuts `text` to `max` characters including a marker saying how many were removed. */
export function truncateCharsVisibly(text: string, max: number): string {
  if (text.length <= max) return text;
  let removed = text.length - max;
  for (let i = 0; i < 8; i++) {
    const marker = charTruncationMarker(removed);
    const room = max - marker.length;
    if (room <= 0) return truncateChars(marker.trimStart(), max);
    const kept = truncateChars(text, room);
    if (text.length - kept.length === removed) return kept + marker;
    removed = text.length - kept.length;
  }
  return truncateChars(text, max);
}

/** Splits text into pieces of at most `max` characters, preferring to break at newlines. */
export function splitChars(text: string, max: number): string[] {
  const limit = Math.max(2, max);
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const prefix = truncateChars(rest, limit);
    const nl = prefix.lastIndexOf('\n');
    if (nl > 0) {
      pieces.push(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
    } else {
      pieces.push(prefix);
      rest = rest.slice(prefix.length);
    }
  }
  pieces.push(rest);
  return pieces;
}

/**
 * Chunks of a message whose body (plus `reserve`) is at most `maxChars` characters: alerts are
 * grouped greedily as the byte splitter does; caller-rendered text is split at line boundaries.
 */
export function splitMessageByChars(message: OutgoingMessage, opts: CharSplitOptions): MessageChunk[] {
  const budget = Math.max(1, opts.maxChars - (opts.reserve ?? 0));
  if (message.kind === 'rendered') {
    return message.chunks.flatMap((chunk) =>
      splitChars(chunk.body, budget).map((body) => ({
        ...(chunk.title === undefined ? {} : { title: chunk.title }),
        body,
        alertIds: chunk.alertIds ?? [],
      })),
    );
  }
  return splitMessage(message, {
    maxBytes: budget,
    measure: (r: Rendered) => r.body.length,
    // the byte splitter asks for a cut of `utf8 length - excess`; the excess is in characters here
    truncate: (r: Rendered, asked: number) => {
      const excess = utf8Length(r.body) - asked;
      const body = truncateCharsVisibly(r.body, Math.max(0, r.body.length - excess));
      return { rendered: { ...r, body }, truncatedBytes: utf8Length(r.body) - utf8Length(body.replace(/\n…\[truncated \d+ characters\]$/, '')) };
    },
  });
}
