/**
 * How `{{name}}` values are escaped, decided by the markup the output is read in: HTML email
 * escapes markup, JSON bodies (Feishu post, custom webhook bodies) escape for the inside of a JSON
 * string, and each chat channel's text or markdown is escaped so that an alert's labels and
 * annotations cannot mention people (`<!channel>`, `@all`, `@everyone`, `<@id>`, `<at>`) or forge
 * links (`[x](y)`, `<url|x>`). Mentions a Receiver configures are added by the sender after
 * rendering and are not affected. Literal template text is never escaped; `{{{name}}}` inserts a
 * value as it is.
 *
 * Escapers are keyed by name (`ESCAPERS`); a channel format names the one it needs
 * (`escapeModeOf` in channel.formats.ts).
 */
export const ESCAPE_MODES = ['none', 'html', 'json', 'slack', 'markdown', 'mentions', 'discord', 'feishu-text', 'googlechat'] as const;
export type EscapeMode = (typeof ESCAPE_MODES)[number];

/** Zero-width space: invisible, and breaks a mention or link syntax it is put into. */
export const ZWSP = '\u200b';

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

/**
 * `@name` → `@\u200bname` for every `@` followed by a character that could start a name or a
 * phone number (DingTalk `@all`/`@<mobile>`/`@<userId>`, Telegram `@user`, Slack `@channel`).
 * Without the mention being listed in the message's own fields (atMobiles, mentioned_list), most
 * vendors ignore the text, but a vendor that reads it never sees a mention here.
 */
export function breakMentions(text: string): string {
  return text.replace(/@(?=[\p{L}\p{N}_])/gu, `@${ZWSP}`);
}

/**
 * Markdown links and images (`[x](y)`, `![x](y)`, reference links `[x][r]` and definitions
 * `[r]: y`) lose their syntax: `]` followed by `(`, `[` or `:` gets a zero-width space between.
 * Autolinks and inline HTML (`<http://…>`, `<a href>`, `<font>`, WeCom's `<@userid>`) lose theirs:
 * `<` followed by a letter, `/`, `@`, `!` or `#` gets one too.
 */
function breakLinksAndTags(text: string): string {
  return text.replace(/\](?=[([:])/g, `]${ZWSP}`).replace(/<(?=[\p{L}/@!#&])/gu, `<${ZWSP}`);
}

/**
 * Slack mrkdwn: `&`, `<` and `>` become entities (Slack's own rule), so `<!channel>`,
 * `<@U123>` and `<http://evil|click>` are shown as text; `@channel`/`@here`/`@everyone` written
 * plainly get a zero-width space as well (a client posting with `link_names` would resolve them).
 */
export function escapeSlack(value: unknown): string {
  const text = String(value).replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
  return text.replace(/@(?=(?:channel|here|everyone)\b)/gi, `@${ZWSP}`);
}

/** Markdown of DingTalk, WeCom, Teams: no links, images, inline HTML or mentions from a value. */
export function escapeMarkdown(value: unknown): string {
  return breakMentions(breakLinksAndTags(String(value)));
}

/** Plain text whose vendor still reads mentions in it (DingTalk and WeCom text, Telegram without parse_mode). */
export function escapeMentions(value: unknown): string {
  return breakMentions(String(value));
}

/**
 * Discord markdown: `@everyone`, `@here`, user/role/channel mentions (`<@id>`, `<@!id>`,
 * `<@&id>`, `<#id>`), and masked links. (The sender's `allowed_mentions` is the second control.)
 */
export function escapeDiscord(value: unknown): string {
  return breakMentions(breakLinksAndTags(String(value)));
}

/** Feishu text: `<at user_id="all">` and the other tags Feishu reads in a text message. */
export function escapeFeishuText(value: unknown): string {
  return breakLinksAndTags(String(value));
}

/** Google Chat text: `<users/all>`, `<users/123>` mentions and `<url|text>` links. */
export function escapeGoogleChat(value: unknown): string {
  return String(value).replace(/<(?=[\p{L}/@!#&])/gu, `<${ZWSP}`);
}

/** Every escaper by name. */
export const ESCAPERS: Readonly<Record<EscapeMode, (value: unknown) => string>> = {
  none: escapeNone,
  html: escapeHtml,
  json: escapeJson,
  slack: escapeSlack,
  markdown: escapeMarkdown,
  mentions: escapeMentions,
  discord: escapeDiscord,
  'feishu-text': escapeFeishuText,
  googlechat: escapeGoogleChat,
};

export function escapeFor(mode: EscapeMode): (value: unknown) => string {
  return ESCAPERS[mode];
}
