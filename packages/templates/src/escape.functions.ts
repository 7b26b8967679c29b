/**
 * How `{{name}}` values are escaped, decided by the output format: HTML email escapes markup,
 * JSON bodies (Feishu post, custom webhook bodies) escape for the inside of a JSON string, and the
 * text and markdown channels insert values as they are.
 */
export const ESCAPE_MODES = ['none', 'html', 'json'] as const;
export type EscapeMode = (typeof ESCAPE_MODES)[number];

const HTML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c);
}

/** Escapes a value for the inside of a JSON string literal (no surrounding quotes). */
export function escapeJson(value: unknown): string {
  const json = JSON.stringify(String(value));
  return json.slice(1, -1).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function escapeNone(value: unknown): string {
  return String(value);
}

export function escapeFor(mode: EscapeMode): (value: unknown) => string {
  switch (mode) {
    case 'html':
      return escapeHtml;
    case 'json':
      return escapeJson;
    case 'none':
      return escapeNone;
  }
}
