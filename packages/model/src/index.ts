// CRD schemas and types (notification.kubesphere.io/v2beta2 plus core kinds).
export {
  DurationSchema,
  StringMapSchema,
  SecretKeySelectorSchema,
  CredentialSchema,
  ConfigmapKeySelectorSchema,
  SELECTOR_OPERATORS,
  LabelSelectorRequirementSchema,
  LabelSelectorSchema,
  TLSConfigSchema,
  HTTPClientConfigSchema,
  ServiceReferenceSchema,
  ObjectMetaSchema,
  NM_API_VERSION,
} from './crd/common.schema.js';
export type {
  Duration,
  SecretKeySelector,
  Credential,
  ConfigmapKeySelector,
  SelectorOperator,
  LabelSelectorRequirement,
  LabelSelector,
  TLSConfig,
  HTTPClientConfig,
  ServiceReference,
  ObjectMeta,
} from './crd/common.schema.js';
export {
  DingTalkReceiverSchema,
  EMAIL_DELIVERY_TYPES,
  EmailReceiverSchema,
  SlackReceiverSchema,
  WebhookReceiverSchema,
  WechatReceiverSchema,
  SmsReceiverSchema,
  PUSHOVER_SOUNDS,
  PushoverReceiverSchema,
  FeishuReceiverSchema,
  DiscordReceiverSchema,
  TelegramReceiverSchema,
  TeamsReceiverSchema,
  GoogleChatReceiverSchema,
  PAGERDUTY_SEVERITIES,
  PagerDutyReceiverSchema,
  OPSGENIE_PRIORITIES,
  OPSGENIE_RESPONDER_TYPES,
  OpsgenieReceiverSchema,
  ReceiverSpecSchema,
  ReceiverSchema,
} from './crd/receiver.schema.js';
export type {
  DingTalkReceiver,
  EmailReceiver,
  SlackReceiver,
  WebhookReceiver,
  WechatReceiver,
  SmsReceiver,
  PushoverReceiver,
  FeishuReceiver,
  DiscordReceiver,
  TelegramReceiver,
  TeamsReceiver,
  GoogleChatReceiver,
  PagerDutyReceiver,
  OpsgenieReceiver,
  ReceiverSpec,
  Receiver,
  ReceiverSectionCommon,
} from './crd/receiver.schema.js';
export {
  DingTalkConfigSchema,
  EmailConfigSchema,
  SlackConfigSchema,
  WebhookConfigSchema,
  WechatConfigSchema,
  SMS_PROVIDERS,
  SmsConfigSchema,
  PushoverConfigSchema,
  FeishuConfigSchema,
  TelegramConfigSchema,
  OpsgenieConfigSchema,
  ConfigSpecSchema,
  ConfigSchema,
} from './crd/config.schema.js';
export type {
  DingTalkConfig,
  EmailConfig,
  SlackConfig,
  WebhookConfig,
  WechatConfig,
  SmsConfig,
  PushoverConfig,
  FeishuConfig,
  TelegramConfig,
  OpsgenieConfig,
  ConfigSpec,
  Config,
} from './crd/config.schema.js';
export {
  ROUTE_POLICIES,
  AGGREGATION_MODES,
  ReceiverOptionsSchema,
  AggregationSchema,
  NotificationManagerSpecSchema,
  NotificationManagerSchema,
} from './crd/notification-manager.schema.js';
export type {
  RoutePolicy,
  AggregationMode,
  ReceiverOptions,
  Aggregation,
  NotificationManagerSpec,
  NotificationManager,
} from './crd/notification-manager.schema.js';
export { RouterSpecSchema, RouterSchema } from './crd/router.schema.js';
export type { RouterSpec, Router } from './crd/router.schema.js';
export { SilenceSpecSchema, SilenceSchema } from './crd/silence.schema.js';
export type { SilenceSpec, Silence } from './crd/silence.schema.js';
export { InhibitRuleSpecSchema, InhibitRuleSchema } from './crd/inhibit-rule.schema.js';
export type { InhibitRuleSpec, InhibitRule } from './crd/inhibit-rule.schema.js';
export {
  EVENT_LEVELS,
  AUDIT_STAGES,
  KubeEventFilterSchema,
  AuditFilterSchema,
  EventRuleSpecSchema,
  EventRuleSchema,
} from './crd/event-rule.schema.js';
export type { EventLevel, KubeEventFilter, AuditFilter, EventRuleSpec, EventRule } from './crd/event-rule.schema.js';
export {
  SecretSchema,
  ConfigMapSchema,
  RBAC_API_VERSION,
  RoleBindingSchema,
  decodeSecretData,
  isBase64,
} from './crd/core.schema.js';
export type { Secret, ConfigMap, RoleBinding } from './crd/core.schema.js';

// Errors.
export { ModelError, InvalidDurationError, InvalidRegexError, InvalidScheduleError } from './errors.js';

// Validation.
export type { Problem } from './problem.js';
export { validateManifest, validateReferences, schemaFor, SCHEMAS } from './validate.js';
export type { CrdObject, CrdKind, AvailableObjects } from './validate.js';
export { referencesOf, qualifyReferences } from './references.js';
export type { ObjectReference } from './references.js';

// Values and matching.
export { parseDuration } from './duration.js';
export { tryCompileRegex, compileRegex, regexMatches } from './regex.js';
export type { CompiledRegex } from './regex.js';
export { matchesSelector, hasAllPairs, selectorProblems } from './selector.js';
export type { Labels } from './selector.js';
export { fingerprint } from './fingerprint.js';
export { hex16, hex32 } from './hex.js';
export { labelSetString, isPlainObject, labelValue, setLabel } from './labels.js';

// Snapshot, settings, classification, config resolution.
export { emptySnapshot, effectiveSettings, objectKey, DEFAULTS, CLUSTER_NAME_ANNOTATION } from './snapshot.js';
export { templateFilesOf } from './template.files.js';
export type { TemplateFileRef } from './template.files.js';
export type { ConfigSnapshot, EffectiveSettings, AggregationSettings } from './snapshot.js';
export { classify, tenantIdOf } from './classify.js';
export type { Classification } from './classify.js';
export { receiverSections, receiverSection, configSection, configSelectorOf, isEnabled } from './sections.js';
export { resolveConfig, buildConfigIndex, configPriority, DEFAULT_PRIORITY } from './config.resolve.js';
export type { ConfigIndex } from './config.resolve.js';

// Silences.
export { isSilenceActive, silenceMatches, silencesMatching, parseRfc3339 } from './silence.js';
export { parseSchedule, isValidTimeZone, lastFiring, firedWithin } from './silence.schedule.js';
export type { ParsedSchedule } from './silence.schedule.js';

// Tenancy and routing.
export { tenantsOfAlert, namespaceUsersFromRoleBindings } from './tenancy.js';
export type { TenantsOfNamespace, TenantSource, AlertTenants } from './tenancy.js';
export { buildRoutingIndex, routerTargets, routeAlert } from './route.js';
export type { IndexedReceiver, IndexedRouter, RoutingIndex, ExplainStep, RouteDecision, RouteOptions } from './route.js';

// Grouping.
export { isResolvedAt, received, continues, mergeAlert, nflogDecision, nflogExpiryMs } from './aggregation.js';
export type { GroupedAlert, NflogEntry, NotifyDecision, NotifyReason } from './aggregation.js';
export { groupAlerts, commonLabels, commonAnnotations } from './group.js';
export type { AlertGroup } from './group.js';

// Event sources: EventRules, Kubernetes events as alerts.
export {
  DEFAULT_KUBE_EVENT_FILTER,
  DEFAULT_AUDIT_FILTER,
  DEFAULT_AUDIT_STAGES,
  AUDIT_WRITE_VERBS,
  PROTECTED_EVENT_LABELS,
  anchoredRegex,
  meetsLevel,
  needsObjectLabels,
  matchesKubeEventFilter,
  matchesResponseCode,
  matchesAuditFilter,
  kubeEventRules,
  auditRules,
  ruleLabelsOf,
} from './event.rule.js';
export type { KubeEventFacts, AuditFacts, EventRuleSet } from './event.rule.js';
export { readKubeEvent, occurrenceOf, KIND_LABELS, severityOfEventType, goTimeString, kubeEventAlertFields, KUBE_EVENTER_FIELDS } from './kube.event.js';
export type { KubeEventView, KubeEventAlertFields } from './kube.event.js';

// Inhibition and explanation.
export { inhibitedBy, sourceKeys, targetKeys, equalKey } from './inhibit.rule.js';
export type { InhibitionAlert, RuleKey } from './inhibit.rule.js';
export { explainRoute } from './route.explain.js';
export type { RouteReport } from './route.explain.js';
