export { createTemplateRegistry, validateReceiverTexts } from './template.registry.js';
export type { TemplateRegistry, TemplateRegistryOptions } from './template.registry.js';
export { renderNotification, buildViewModel, languageOf } from './notification.render.js';
export type { RenderInput, RenderedMessage } from './notification.render.js';
export { resolveTemplates } from './template.resolve.js';
export type {
  TemplateRefs,
  ChannelTemplateOption,
  GlobalTemplateOption,
  TemplateSelectionInput,
  TemplateChoice,
  TemplateSelection,
} from './template.resolve.js';
export { validateTemplateText } from './template.validate.js';
export type { TemplateTextSource } from './template.validate.js';
export { webhookBody } from './webhook.body.js';
export type { WebhookBody, WebhookAlert, WebhookBodyInput } from './webhook.body.js';
export { defaultGroupKey, GROUP_STATUSES } from './view.model.js';
export type { ViewModel, ViewModelInput, AlertView, AlertList, TemplateAlert, ReceiverIdentity, GroupStatus } from './view.model.js';
export type { LabelPair } from './label.pairs.js';
export { HIDDEN_LABELS, HIDDEN_ANNOTATIONS } from './label.pairs.js';
export { BUILTIN_TEMPLATES, BUILTIN_NAMES, JSON_MARKERS, isJsonMarker } from './builtin.templates.js';
export { channelFormat, channelTmplTypes, MESSAGE_KINDS } from './channel.formats.js';
export type { ChannelFormat, MessageKind, TitleField } from './channel.formats.js';
export { ENGLISH, ZH_CN } from './language.packs.js';
export type { LanguagePackSource, Language } from './language.packs.js';
export { DEFAULT_TRUNCATE_LENGTH } from './lambdas.js';
export { DEFAULT_TIME_ZONE, formatTimestamp } from './time.format.js';
export { ESCAPERS, ESCAPE_MODES, escapeFor, escapeHtml, escapeJson } from './escape.functions.js';
export type { EscapeMode } from './escape.functions.js';
export {
  TemplateError,
  TemplateParseError,
  GoTemplateError,
  TemplateNotFoundError,
  TemplateRenderError,
  MIGRATION_GUIDE,
} from './errors.js';
export type { TemplateOrigin } from './errors.js';
export { PROBLEM_CODES } from './template.problem.js';
export type { TemplateProblem } from './template.problem.js';
