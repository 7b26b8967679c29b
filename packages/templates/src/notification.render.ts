import { parse as parseYaml } from 'yaml';
import { escapeModeOf, type MessageKind } from './channel.formats.js';
import { GoTemplateError, TemplateError, TemplateParseError, TemplateRenderError } from './errors.js';
import { escapeWithState, type RenderState } from './lambdas.js';
import { renderTemplate, type PartialLookup } from './mustache.engine.js';
import { PROBLEM_CODES } from './template.problem.js';
import type { TemplateRegistry } from './template.registry.js';
import { resolveTemplates, type TemplateChoice, type TemplateSelectionInput } from './template.resolve.js';
import { checkText } from './template.validate.js';
import { createViewModel, type ViewModel, type ViewModelInput } from './view.model.js';
import { webhookBody } from './webhook.body.js';
import type { EscapeMode } from './escape.functions.js';

/** Everything one rendering needs: the notification (or any subset of its alerts) and the receiver's settings. */
export interface RenderInput extends ViewModelInput, TemplateSelectionInput {
  /** The receiver's language; falls back to the channel option's, the global option's, then the registry default. */
  readonly language?: string | undefined;
  /** For the webhook JSON body. */
  readonly truncatedAlerts?: number;
}

export interface RenderedMessage {
  readonly body: string;
  /** Email subject, DingTalk markdown title, Pushover title; absent for channels without one. */
  readonly title?: string;
  readonly kind: MessageKind;
  /** The body template's name (`inline` for an inline template). */
  readonly template: string;
  /** The language rendered in. */
  readonly language: string;
}

/** The language name a receiver renders in. */
export function languageOf(registry: TemplateRegistry, input: Pick<RenderInput, 'language' | 'templates'>): string {
  const candidates = [input.language, input.templates?.channelOption?.language, input.templates?.global?.language];
  return candidates.find((l): l is string => l !== undefined && l.trim() !== '')?.trim() ?? registry.defaultLanguage;
}

const NO_VIEW = {} as ViewModel;

/** Like notification-manager, trailing spaces and line breaks are removed from every rendering. */
function trimEnd(text: string): string {
  return text.replace(/[ \r\n]+$/, '');
}

function partialLookup(registry: TemplateRegistry, input: TemplateSelectionInput): PartialLookup {
  const texts = input.receiverTexts;
  return (name) => (texts !== undefined && Object.hasOwn(texts, name) ? texts[name] : registry.text(name));
}

function checkedText(choice: Extract<TemplateChoice, { text: string }>): string {
  const r = checkText(choice.text);
  if (r.ok) return choice.text;
  const origin = { source: choice.source, key: choice.name };
  if (r.code === PROBLEM_CODES.goTemplate) throw new GoTemplateError(origin, r.line, r.message);
  throw new TemplateParseError(origin, r.line, r.message);
}

function renderChoice(
  choice: TemplateChoice,
  mode: EscapeMode,
  view: ViewModel,
  state: RenderState,
  partials: PartialLookup,
  input: RenderInput,
): string {
  if (choice.kind === 'marker') {
    return JSON.stringify(
      webhookBody({ ...input, ...(input.notificationTime ? {} : { notificationTime: new Date() }) }),
    );
  }
  const text = checkedText(choice);
  state.mode = mode;
  try {
    return trimEnd(renderTemplate(text, view, partials, escapeWithState(state)));
  } catch (err) {
    if (err instanceof TemplateError) throw err;
    if (err instanceof RangeError) {
      throw new TemplateRenderError(choice.name, 'templates include each other without end', { cause: err });
    }
    throw new TemplateRenderError(choice.name, err instanceof Error ? err.message : String(err), { cause: err });
  }
}

/**
 * A Feishu post must be a JSON object. The built-in renders JSON; a custom post template may
 * also render YAML (notification-manager's post templates did), which is converted here.
 */
function normalisePost(body: string, name: string): string {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    try {
      value = parseYaml(body);
    } catch (err) {
      throw new TemplateRenderError(name, `a Feishu post must render a JSON or YAML object: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TemplateRenderError(name, 'a Feishu post must render a JSON or YAML object such as {"en_us": {"content": [...]}}');
  }
  return JSON.stringify(value);
}

/**
 * Renders one message for one receiver: picks the templates (§5.1 precedence), computes the view
 * model once in the receiver's language, renders body and title. Works on any subset of a
 * notification's alerts, so a sender can render the parts of a split message.
 */
export function renderNotification(registry: TemplateRegistry, input: RenderInput): RenderedMessage {
  const selection = resolveTemplates(registry, input);
  const language = registry.language(languageOf(registry, input));
  const state: RenderState = { mode: 'none' };
  const notificationTime = input.notificationTime ?? new Date();
  const full: RenderInput = { ...input, notificationTime };
  const { body: bodyChoice, format } = selection;
  const kind: MessageKind = bodyChoice.kind === 'marker' ? 'json' : format.kind;
  // The JSON body needs no view model; skip computing it when nothing else is rendered.
  const needsView = bodyChoice.kind !== 'marker' || (selection.title !== undefined && selection.title.kind !== 'marker');
  const view = needsView ? createViewModel(full, { language, timeZone: registry.timeZone, state }) : NO_VIEW;
  const partials = partialLookup(registry, input);

  let body = renderChoice(bodyChoice, escapeModeOf(kind), view, state, partials, full);
  if (kind === 'post-json') body = normalisePost(body, bodyChoice.name);

  const title = selection.title === undefined ? undefined : renderChoice(selection.title, 'none', view, state, partials, full);
  return { body, kind, template: bodyChoice.name, language: language.name, ...(title === undefined ? {} : { title }) };
}

/** The view model as templates see it, in the receiver's language (for previews and tests). */
export function buildViewModel(registry: TemplateRegistry, input: ViewModelInput & { readonly language?: string | undefined }): ViewModel {
  const language = registry.language(input.language?.trim() || registry.defaultLanguage);
  return createViewModel(input, { language, timeZone: registry.timeZone, state: { mode: 'none' } });
}
