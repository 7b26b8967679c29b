import type { Channel } from '@nm/contracts';
import { BUILTIN_NAMES } from './builtin.templates.js';
import type { EscapeMode } from './escape.functions.js';

/** What a rendered body is, so the sender knows how to post it. */
export const MESSAGE_KINDS = ['text', 'markdown', 'html', 'post-json', 'json'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/** Which receiver/option field holds the title template of a channel. */
export type TitleField = 'titleTemplate' | 'subjectTemplate';

/** The defaults of one channel and template type (§1.3.1 and §5.1). */
export interface ChannelFormat {
  readonly channel: Channel;
  readonly tmplType: string;
  readonly kind: MessageKind;
  readonly defaultBody: string;
  /** The title's field and default; absent when the channel has no title in this type. */
  readonly title?: { readonly field: TitleField; readonly defaultName: string };
}

interface ChannelSpec {
  readonly types: Readonly<Record<string, { kind: MessageKind; body: string; title?: { field: TitleField; defaultName: string } }>>;
  readonly defaultType: string;
}

const subjectTitle = { field: 'subjectTemplate', defaultName: BUILTIN_NAMES.subject } as const;
const titleTitle = { field: 'titleTemplate', defaultName: BUILTIN_NAMES.subject } as const;
const textOnly: ChannelSpec = { types: { text: { kind: 'text', body: BUILTIN_NAMES.text } }, defaultType: 'text' };

const SPECS: Readonly<Record<Channel, ChannelSpec>> = {
  email: {
    types: {
      html: { kind: 'html', body: BUILTIN_NAMES.html, title: subjectTitle },
      text: { kind: 'text', body: BUILTIN_NAMES.text, title: subjectTitle },
    },
    defaultType: 'html',
  },
  wechat: {
    types: { text: { kind: 'text', body: BUILTIN_NAMES.text }, markdown: { kind: 'markdown', body: BUILTIN_NAMES.markdown } },
    defaultType: 'text',
  },
  dingtalk: {
    types: {
      text: { kind: 'text', body: BUILTIN_NAMES.text },
      markdown: { kind: 'markdown', body: BUILTIN_NAMES.markdown, title: titleTitle },
    },
    defaultType: 'text',
  },
  feishu: {
    types: { post: { kind: 'post-json', body: BUILTIN_NAMES.feishuPost }, text: { kind: 'text', body: BUILTIN_NAMES.feishuText } },
    defaultType: 'post',
  },
  pushover: { types: { text: { kind: 'text', body: BUILTIN_NAMES.text, title: titleTitle } }, defaultType: 'text' },
  webhook: { types: { json: { kind: 'json', body: BUILTIN_NAMES.webhook } }, defaultType: 'json' },
  slack: textOnly,
  sms: textOnly,
  discord: textOnly,
  telegram: textOnly,
  // Microsoft Teams: the body is the text of an Adaptive Card TextBlock (its markdown subset), the title its heading.
  teams: { types: { adaptivecard: { kind: 'markdown', body: BUILTIN_NAMES.markdown, title: titleTitle } }, defaultType: 'adaptivecard' },
  // Google Chat: a space webhook's plain `text` message.
  googlechat: textOnly,
  // PagerDuty: the title is the event's summary, the body its custom details.
  pagerduty: { types: { text: { kind: 'text', body: BUILTIN_NAMES.text, title: titleTitle } }, defaultType: 'text' },
  // Opsgenie: the title is the alert's message, the body its description.
  opsgenie: { types: { text: { kind: 'text', body: BUILTIN_NAMES.text, title: titleTitle } }, defaultType: 'text' },
};

/**
 * The format of a channel for a `tmplType`. An absent or unknown type gives the channel's default
 * type (email html, wechat/dingtalk text, feishu post); the CRD validation rejects unknown types.
 */
export function channelFormat(channel: Channel, tmplType?: string): ChannelFormat {
  const spec = SPECS[channel];
  const wanted = tmplType?.trim().toLowerCase();
  const type = wanted !== undefined && Object.hasOwn(spec.types, wanted) ? wanted : spec.defaultType;
  const t = spec.types[type] ?? spec.types[spec.defaultType]!;
  return { channel, tmplType: type, kind: t.kind, defaultBody: t.body, ...(t.title ? { title: t.title } : {}) };
}

/** The template types a channel accepts. */
export function channelTmplTypes(channel: Channel): string[] {
  return Object.keys(SPECS[channel].types);
}

/**
 * How alert values are escaped in a channel's text and markdown bodies: by the markup the vendor
 * reads in them (see escape.functions.ts). A channel or kind not listed inserts values as they are
 * (email text, SMS, Pushover, PagerDuty and Opsgenie show plain text and read no mentions).
 */
export const CHANNEL_ESCAPES: Readonly<Partial<Record<Channel, Partial<Record<MessageKind, EscapeMode>>>>> = {
  slack: { text: 'slack', markdown: 'slack' },
  dingtalk: { text: 'mentions', markdown: 'markdown' },
  wechat: { text: 'mentions', markdown: 'markdown' },
  feishu: { text: 'feishu-text', markdown: 'markdown' },
  // plain text (no parse_mode): only `@user` is read
  telegram: { text: 'mentions', markdown: 'markdown' },
  discord: { text: 'discord', markdown: 'discord' },
  teams: { text: 'markdown', markdown: 'markdown' },
  googlechat: { text: 'googlechat' },
};

/** The escaping of `{{name}}` values in a body of `kind` for `channel` (html and JSON bodies whatever the channel). */
export function escapeModeOf(kind: MessageKind, channel?: Channel): EscapeMode {
  switch (kind) {
    case 'html':
      return 'html';
    case 'post-json':
    case 'json':
      return 'json';
    case 'text':
    case 'markdown':
      return (channel === undefined ? undefined : CHANNEL_ESCAPES[channel]?.[kind]) ?? 'none';
  }
}
