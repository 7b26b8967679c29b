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

export function escapeModeOf(kind: MessageKind): EscapeMode {
  switch (kind) {
    case 'html':
      return 'html';
    case 'post-json':
    case 'json':
      return 'json';
    case 'text':
    case 'markdown':
      return 'none';
  }
}
