/**
 * Feishu message bodies: the bot signature, keywords (a trailing line for text, an extra paragraph
 * in every locale of a post) and the truncation of a post that alone exceeds the limit (flattened
 * to one visible, marked paragraph per locale so the JSON stays valid).
 */
import { createHmac } from 'node:crypto';
import { PermanentError } from '@nm/errors';
import type { Rendered } from './channel.types.js';
import { truncateVisibly, utf8Length } from './message.splitter.js';

export type FeishuFormat = 'post' | 'text';

/** Feishu's bot signature: base64(HMAC-SHA256(key = timestamp + "\n" + secret, message = "")). */
export function feishuSign(timestampSec: number, secret: string): string {
  return createHmac('sha256', `${timestampSec}\n${secret}`).update('').digest('base64');
}

type PostElement = Record<string, unknown> & { tag?: string; text?: string };
type PostLocale = { title?: string; content?: PostElement[][] };

function parsePost(body: string): Record<string, PostLocale> {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new PermanentError('feishu: the post template did not render valid JSON', { code: 'feishu:invalid-post' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PermanentError('feishu: a post must be an object of locales', { code: 'feishu:invalid-post' });
  }
  return value as Record<string, PostLocale>;
}

/** The `content` of a message, keywords included. */
export function feishuContent(format: FeishuFormat, body: string, keywords: readonly string[] = []): Record<string, unknown> {
  const line = keywords.length ? `[Keywords] ${keywords.join(',')}` : '';
  if (format === 'text') return { text: line ? `${body}\n\n${line}` : body };
  const post = parsePost(body);
  if (line) {
    for (const locale of Object.values(post)) locale.content = [...(locale.content ?? []), [{ tag: 'text', text: line }]];
  }
  return { post };
}

/** Cuts an oversize post to `maxBytes` of JSON: each locale becomes its title plus one marked text paragraph. */
export function truncatePost(r: Rendered, maxBytes: number): { rendered: Rendered; truncatedBytes: number } {
  let post: Record<string, PostLocale>;
  try {
    post = parsePost(r.body);
  } catch {
    const { text, truncatedBytes } = truncateVisibly(r.body, maxBytes);
    return { rendered: { ...r, body: text }, truncatedBytes };
  }
  const locales = Object.entries(post);
  const skeleton = JSON.stringify(Object.fromEntries(locales.map(([k, v]) => [k, { title: v.title ?? '', content: [[{ tag: 'text', text: '' }]] }])));
  const budget = Math.max(0, Math.floor((maxBytes - utf8Length(skeleton)) / Math.max(1, locales.length)));
  let removed = 0;
  const out: Record<string, PostLocale> = {};
  for (const [name, locale] of locales) {
    const flat = (locale.content ?? []).map((row) => row.map((el) => el.text ?? '').join('')).join('\n');
    // JSON escaping may grow the text; keep a margin for it
    const escapedExtra = utf8Length(JSON.stringify(flat)) - 2 - utf8Length(flat);
    const { text, truncatedBytes } = truncateVisibly(flat, Math.max(0, budget - escapedExtra));
    removed += truncatedBytes;
    out[name] = { ...(locale.title !== undefined ? { title: locale.title } : {}), content: [[{ tag: 'text', text }]] };
  }
  return { rendered: { ...r, body: JSON.stringify(out) }, truncatedBytes: removed };
}
