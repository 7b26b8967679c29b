import type { Channel } from '@nm/contracts';
import { isJsonMarker } from './builtin.templates.js';
import { channelFormat, type ChannelFormat, type TitleField } from './channel.formats.js';
import { TemplateNotFoundError } from './errors.js';
import { goTemplateReference } from './go-template.detect.js';
import type { GoTemplate } from './go/exec.js';
import type { TemplateRegistry } from './template.registry.js';
import { receiverScope, type TextScope } from './template.scope.js';

/** The template fields of a Receiver's channel section. */
export interface TemplateRefs {
  readonly template?: string | undefined;
  readonly titleTemplate?: string | undefined;
  readonly subjectTemplate?: string | undefined;
}

/** `NotificationManager.spec.receivers.options.<channel>`. */
export interface ChannelTemplateOption extends TemplateRefs {
  readonly tmplType?: string | undefined;
  readonly language?: string | undefined;
}

/** `NotificationManager.spec.receivers.options.global`. */
export interface GlobalTemplateOption {
  readonly template?: string | undefined;
  readonly language?: string | undefined;
}

export interface TemplateSelectionInput {
  readonly channel: Channel;
  /** The receiver's `tmplType`; falls back to the channel option's, then the channel default. */
  readonly tmplType?: string | undefined;
  readonly templates?: {
    readonly receiver?: TemplateRefs | undefined;
    readonly channelOption?: ChannelTemplateOption | undefined;
    readonly global?: GlobalTemplateOption | undefined;
  };
  /**
   * The receiver's `tmplText` ConfigMap data: each key a mustache template named by the key, or
   * Go template text whose `{{ define }}`s are the names.
   */
  readonly receiverTexts?: Readonly<Record<string, string>> | undefined;
  /** Where `receiverTexts` came from, for error messages (`configmap ns/name`). */
  readonly receiverTextsSource?: string | undefined;
}

/** What a template field resolved to. `named` and `inline` are texts (mustache, or Go for an inline Go text). */
export type TemplateChoice =
  | { readonly kind: 'named'; readonly name: string; readonly text: string; readonly source: string; readonly field: string }
  | { readonly kind: 'go'; readonly name: string; readonly template: GoTemplate; readonly source: string; readonly field: string }
  | { readonly kind: 'inline'; readonly name: string; readonly text: string; readonly source: string; readonly field: string }
  | { readonly kind: 'marker'; readonly name: string; readonly field: string };

export interface TemplateSelection {
  readonly format: ChannelFormat;
  readonly body: TemplateChoice;
  readonly title?: TemplateChoice;
}

function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

/** The names a receiver's templates resolve against: its own ConfigMap, then the registry. */
export function scopeOf(registry: TemplateRegistry, input: TemplateSelectionInput): TextScope {
  return receiverScope(registry, input.receiverTexts, input.receiverTextsSource);
}

function resolveRef(scope: TextScope, value: string, field: string): TemplateChoice {
  const trimmed = value.trim();
  const name = goTemplateReference(trimmed) ?? trimmed;
  const found = scope.resolve(name);
  if (found?.engine === 'go') return { kind: 'go', name, template: found.template, source: found.source, field };
  if (found !== undefined) return { kind: 'named', name, text: found.text, source: found.source, field };
  if (isJsonMarker(name)) return { kind: 'marker', name, field };
  if (trimmed.includes('{{')) return { kind: 'inline', name: 'inline', text: value, source: field, field };
  throw new TemplateNotFoundError(name, field);
}

/**
 * Picks the body and title templates of a receiver (§5.1): receiver `template` > channel option
 * `template` > `global.template` > the channel's built-in for its `tmplType`; titles: receiver
 * `titleTemplate`/`subjectTemplate` > channel option > built-in. `global.template` does not apply
 * to webhooks, whose body stays JSON unless the receiver or the webhook option names a template.
 * Throws TemplateNotFoundError for a name that is not defined.
 */
export function resolveTemplates(registry: TemplateRegistry, input: TemplateSelectionInput): TemplateSelection {
  const option = input.templates?.channelOption;
  const format = channelFormat(input.channel, present(input.tmplType) ? input.tmplType : option?.tmplType);
  const receiver = input.templates?.receiver;
  const global = input.channel === 'webhook' ? undefined : input.templates?.global;

  const bodyCandidates: [string | undefined, string][] = [
    [receiver?.template, `receiver ${input.channel} template`],
    [option?.template, `options.${input.channel}.template`],
    [global?.template, 'options.global.template'],
  ];
  const picked = bodyCandidates.find(([v]) => present(v));
  const scope = scopeOf(registry, input);
  const body = resolveRef(scope, picked?.[0] ?? format.defaultBody, picked?.[1] ?? 'built-in');

  let title: TemplateChoice | undefined;
  if (format.title !== undefined) {
    const field: TitleField = format.title.field;
    const titleCandidates: [string | undefined, string][] = [
      [receiver?.[field], `receiver ${input.channel} ${field}`],
      [option?.[field], `options.${input.channel}.${field}`],
    ];
    const t = titleCandidates.find(([v]) => present(v));
    title = resolveRef(scope, t?.[0] ?? format.title.defaultName, t?.[1] ?? 'built-in');
  }
  return { format, body, ...(title ? { title } : {}) };
}
