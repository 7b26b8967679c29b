import { parse as parseYaml } from 'yaml';
import { escapeModeOf, type MessageKind } from './channel.formats.js';
import { GoTemplateError, TemplateError, TemplateParseError, TemplateRenderError } from './errors.js';
import { buildGoData, type GoData } from './go/data.js';
import { executeGo, GoExecError, newBudget, type GoTemplate, type ResolvedTemplate } from './go/exec.js';
import { funcsFor } from './go/funcs.js';
import { goTemplatesOf } from './go/library.js';
import { GoStruct, type GoValue } from './go/values.js';
import type { Language } from './language.packs.js';
import { escapeWithState, type RenderState } from './lambdas.js';
import { mustacheContext, renderTemplate, type PartialLookup } from './mustache.engine.js';
import { PROBLEM_CODES } from './template.problem.js';
import type { TemplateRegistry } from './template.registry.js';
import { resolveTemplates, scopeOf, type TemplateChoice, type TemplateSelectionInput } from './template.resolve.js';
import type { TextScope } from './template.scope.js';
import { checkText, type TextCheck } from './template.validate.js';
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

/** Like notification-manager, trailing spaces and line breaks are removed from every rendering. */
function trimEnd(text: string): string {
  return text.replace(/[ \r\n]+$/, '');
}

function checkedText(choice: { readonly name: string; readonly text: string; readonly source: string }): Extract<TextCheck, { ok: true }> {
  const r = checkText(choice.text);
  if (r.ok) return r;
  const origin = { source: choice.source, key: choice.name };
  if (r.code === PROBLEM_CODES.goTemplate) throw new GoTemplateError(origin, r.line, r.column ?? 1, r.message);
  throw new TemplateParseError(origin, r.line, r.message);
}

/**
 * Everything one rendering shares between its body and title, computed on first use: the
 * mustache view model, notification-manager's Go data, the name scope, and the budget of Go
 * execution. It also bridges the engines: a Go `{{ template "x" . }}` of a mustache template
 * renders it with the view of dot, and a mustache `{{> x}}` of a Go definition executes it with
 * the Go value of the current context.
 */
class RenderContext {
  private viewModel: ViewModel | undefined;
  private data: GoData | undefined;
  private root: Record<string, unknown> | undefined;
  private readonly goPartials = new Map<GoTemplate, string>();
  private alertViews: Map<object, GoStruct> | undefined;
  readonly budget = newBudget();

  constructor(
    private readonly registry: TemplateRegistry,
    private readonly input: RenderInput & { readonly notificationTime: Date },
    private readonly language: Language,
    readonly state: RenderState,
    private readonly scope: TextScope,
  ) {}

  view(): ViewModel {
    this.viewModel ??= createViewModel(this.input, { language: this.language, timeZone: this.registry.timeZone, state: this.state });
    return this.viewModel;
  }

  goData(): GoData {
    this.data ??= buildGoData({
      alerts: this.input.alerts,
      groupLabels: this.input.groupLabels,
      receiverName: this.input.receiver.name,
      externalURL: this.input.externalURL,
      notificationTime: this.input.notificationTime,
      timeZone: this.registry.timeZone,
    });
    return this.data;
  }

  /** The top of the mustache context: the view model, plus the bridges to Go partials. */
  private mustacheRoot(): Record<string, unknown> {
    this.root ??= Object.create(this.view()) as Record<string, unknown>;
    return this.root;
  }

  readonly partials: PartialLookup = (name) => {
    const r = this.scope.resolve(name);
    if (r === undefined) return undefined;
    if (r.engine === 'mustache') return r.text;
    let id = this.goPartials.get(r.template);
    if (id === undefined) {
      id = `__nm_go_${this.goPartials.size}`;
      this.goPartials.set(r.template, id);
      const template = r.template;
      const run = (view: unknown): string => this.executeGo(template, this.goValueOf(view));
      // mustache.js calls a function value with the current context's view as `this`.
      this.mustacheRoot()[id] = function (this: unknown): string {
        return run(this);
      };
    }
    return `{{{${id}}}}`;
  };

  /** The Go value for a mustache context object: an alert view's alert, else the notification. */
  private goValueOf(view: unknown): GoValue {
    if (this.alertViews === undefined) {
      const m = new Map<object, GoStruct>();
      const v = this.view();
      const go = this.goData().alerts;
      v.alerts.forEach((a, i) => m.set(a, go[i]!));
      const firing = go.filter((a) => a.fields['Status'] !== 'resolved');
      const resolved = go.filter((a) => a.fields['Status'] === 'resolved');
      v.firingAlerts.forEach((a, i) => m.set(a, firing[i]!));
      v.resolvedAlerts.forEach((a, i) => m.set(a, resolved[i]!));
      this.alertViews = m;
    }
    return (typeof view === 'object' && view !== null ? this.alertViews.get(view) : undefined) ?? this.goData().data;
  }

  /** The mustache context for a Go value: an alert's view over the notification's. */
  private mustacheContextOf(dot: GoValue): object {
    const root = this.mustacheRoot();
    if (dot instanceof GoStruct) {
      const i = this.goData().alerts.indexOf(dot);
      const alertView = i < 0 ? undefined : this.view().alerts[i];
      if (alertView !== undefined) return mustacheContext(alertView, root);
    }
    return root;
  }

  renderMustache(text: string): string {
    return renderTemplate(text, this.mustacheRoot(), this.partials, escapeWithState(this.state));
  }

  private readonly lookup = (name: string, extra?: ReadonlyMap<string, GoTemplate>): ResolvedTemplate | undefined => {
    const own = extra?.get(name);
    if (own !== undefined) return { go: own };
    const r = this.scope.resolve(name);
    if (r === undefined) return undefined;
    if (r.engine === 'go') return { go: r.template };
    const text = checkedText(r);
    return {
      external: {
        name,
        render: (dot) => renderTemplate(text.engine === 'mustache' ? r.text : '', this.mustacheContextOf(dot), this.partials, escapeWithState(this.state)),
      },
    };
  };

  executeGo(template: GoTemplate, dot: GoValue, extra?: ReadonlyMap<string, GoTemplate>): string {
    return executeGo(template, dot, { funcs: funcsFor(this.language), lookup: (n) => this.lookup(n, extra), budget: this.budget });
  }
}

function renderChoice(choice: TemplateChoice, mode: EscapeMode, ctx: RenderContext, input: RenderInput): string {
  if (choice.kind === 'marker') {
    return JSON.stringify(webhookBody({ ...input, ...(input.notificationTime ? {} : { notificationTime: new Date() }) }));
  }
  ctx.state.mode = mode;
  try {
    if (choice.kind === 'go') return trimEnd(ctx.executeGo(choice.template, ctx.goData().data));
    const checked = checkedText(choice);
    if (checked.engine === 'go') {
      // An inline Go template (a field value in Go syntax): its body, with its own definitions.
      const origin = { source: choice.field, key: choice.name, text: choice.text };
      const template: GoTemplate = { name: choice.name, tree: checked.parsed.root, origin };
      return trimEnd(ctx.executeGo(template, ctx.goData().data, goTemplatesOf(checked.parsed, origin)));
    }
    return trimEnd(ctx.renderMustache(choice.text));
  } catch (err) {
    if (err instanceof TemplateError) throw err;
    if (err instanceof GoExecError) throw new TemplateRenderError(choice.name, err.message, { cause: err });
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
  const full: RenderInput & { readonly notificationTime: Date } = { ...input, notificationTime };
  const { body: bodyChoice, format } = selection;
  const kind: MessageKind = bodyChoice.kind === 'marker' ? 'json' : format.kind;
  const ctx = new RenderContext(registry, full, language, state, scopeOf(registry, input));

  let body = renderChoice(bodyChoice, escapeModeOf(kind, format.channel), ctx, full);
  if (kind === 'post-json') body = normalisePost(body, bodyChoice.name);

  const title = selection.title === undefined ? undefined : renderChoice(selection.title, 'none', ctx, full);
  return { body, kind, template: bodyChoice.name, language: language.name, ...(title === undefined ? {} : { title }) };
}

/** The view model as templates see it, in the receiver's language (for previews and tests). */
export function buildViewModel(registry: TemplateRegistry, input: ViewModelInput & { readonly language?: string | undefined }): ViewModel {
  const language = registry.language(input.language?.trim() || registry.defaultLanguage);
  return createViewModel(input, { language, timeZone: registry.timeZone, state: { mode: 'none' } });
}
