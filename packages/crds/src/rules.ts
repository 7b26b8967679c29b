import { CHANNELS } from '@nm/contracts';
import {
  CredentialSchema,
  DingTalkReceiverSchema,
  DiscordReceiverSchema,
  EmailConfigSchema,
  EmailReceiverSchema,
  FeishuReceiverSchema,
  OPSGENIE_PRIORITIES,
  OPSGENIE_RESPONDER_TYPES,
  OpsgenieReceiverSchema,
  PAGERDUTY_SEVERITIES,
  PagerDutyReceiverSchema,
  AUDIT_STAGES,
  AuditFilterSchema,
  EVENT_LEVELS,
  EventRuleSpecSchema,
  InhibitRuleSpecSchema,
  KubeEventFilterSchema,
  LabelSelectorRequirementSchema,
  PUSHOVER_SOUNDS,
  PushoverReceiverSchema,
  ReceiverOptionsSchema,
  RouterSpecSchema,
  SilenceSpecSchema,
  SlackReceiverSchema,
  SmsConfigSchema,
  SmsReceiverSchema,
  SMS_PROVIDERS,
  TelegramReceiverSchema,
  WebhookReceiverSchema,
  WechatReceiverSchema,
} from '@nm/model';
import type { z } from 'zod';
import type { SchemaExtras } from './openapi.js';

/**
 * What the API server enforces at apply time beyond the zod structure: the admission rules of
 * notification-manager (reference §1.9) that `packages/model/src/validate.ts` also checks, as
 * OpenAPI `enum`/`pattern`/bounds on single fields and CEL `x-kubernetes-validations` across
 * fields. Each entry is attached to a schema of the model by identity, so it applies wherever
 * that schema is used (a Credential in any channel, the webhook section in `history.webhook`).
 *
 * Every CEL rule here has a constant estimated cost (`has`, `size`, comparisons with literals,
 * one string function on one field) and none sits inside a list, so the API server's cost
 * budget can never reject the CRD. Checks that need a regex engine on user regexes, a cron
 * parser, a URL parser or an IANA zone database stay in config-sync / `nmctl validate`.
 */

interface Def {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
}
const defOf = (s: z.ZodType): Def => (s as unknown as { def: Def }).def;
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let d = defOf(s); WRAPPERS.has(d.type) && d.innerType; d = defOf(s)) s = d.innerType;
  return s;
}

/** The schema at a dotted path (`profiles[].userKey`) under an object schema, wrappers removed. */
export function schemaAt(root: z.ZodType, path: string): z.ZodType {
  let s = unwrap(root);
  for (const part of path.split('.')) {
    const isArray = part.endsWith('[]');
    const key = isArray ? part.slice(0, -2) : part;
    const shape = defOf(s).shape;
    const child = shape?.[key];
    if (!child) throw new Error(`no field ${key} in the schema at ${path}`);
    s = unwrap(child);
    if (isArray) {
      const el = defOf(s).element;
      if (!el) throw new Error(`${key} is not an array at ${path}`);
      s = unwrap(el);
    }
  }
  return s;
}

const present = (f: string): string => `(has(self.${f}) && size(self.${f}) > 0)`;
const oneOfValues = (values: readonly string[]): string => `[${values.map((v) => `'${v}'`).join(', ')}]`;

function build(): Map<z.ZodType, SchemaExtras> {
  const t = new Map<z.ZodType, SchemaExtras>();
  const add = (schema: z.ZodType, extras: SchemaExtras): void => {
    const prev = t.get(schema) ?? {};
    t.set(schema, { ...prev, ...extras, rules: [...(prev.rules ?? []), ...(extras.rules ?? [])] });
  };
  const enumAt = (root: z.ZodType, path: string, values: readonly string[]): void => add(schemaAt(root, path), { enum: values });

  // Shared types.
  add(CredentialSchema, {
    rules: [
      { rule: 'has(self.value) != has(self.valueFrom)', message: 'exactly one of value and valueFrom must be set' },
      { rule: '!has(self.valueFrom) || has(self.valueFrom.secretKeyRef)', message: 'valueFrom needs secretKeyRef' },
    ],
  });
  add(schemaAt(LabelSelectorRequirementSchema, 'key'), { minLength: 1 });

  // Receiver sections.
  add(EmailReceiverSchema, { rules: [{ rule: 'size(self.to) > 0', message: 'to: at least one address is required' }] });
  enumAt(EmailReceiverSchema, 'tmplType', ['html', 'text']);
  add(DingTalkReceiverSchema, {
    rules: [
      {
        rule: `!has(self.conversation) || ${present('conversation.chatids')}`,
        message: 'conversation.chatids: at least one chat id is required when conversation is set',
      },
    ],
  });
  enumAt(DingTalkReceiverSchema, 'tmplType', ['text', 'markdown']);
  add(SlackReceiverSchema, {
    rules: [{ rule: `${present('channels')} || has(self.webhook)`, message: 'channels: at least one channel is required (or set webhook)' }],
  });
  add(WebhookReceiverSchema, {
    rules: [{ rule: `${present('url')} != has(self.service)`, message: 'exactly one of url and service must be set' }],
  });
  add(schemaAt(WebhookReceiverSchema, 'method'), { pattern: '^[A-Za-z]+$' });
  add(WechatReceiverSchema, {
    rules: [
      {
        rule: `${present('toUser')} || ${present('toParty')} || ${present('toTag')} || has(self.chatbot)`,
        message: 'one of toUser, toParty, toTag or chatbot is required',
      },
    ],
  });
  enumAt(WechatReceiverSchema, 'tmplType', ['text', 'markdown']);
  enumAt(DiscordReceiverSchema, 'type', ['content', 'embed']);
  add(PushoverReceiverSchema, { rules: [{ rule: 'size(self.profiles) > 0', message: 'profiles: at least one profile is required' }] });
  add(schemaAt(PushoverReceiverSchema, 'profiles[].userKey'), { pattern: '^[A-Za-z0-9]{30}$' });
  add(schemaAt(PushoverReceiverSchema, 'profiles[].devices[]'), { pattern: '^[A-Za-z0-9_-]{1,25}$' });
  enumAt(PushoverReceiverSchema, 'profiles[].sound', PUSHOVER_SOUNDS);
  add(schemaAt(PushoverReceiverSchema, 'profiles[].priority'), { minimum: -2, maximum: 2 });
  add(SmsReceiverSchema, { rules: [{ rule: 'size(self.phoneNumbers) > 0', message: 'phoneNumbers: at least one phone number is required' }] });
  add(FeishuReceiverSchema, {
    rules: [{ rule: `${present('user')} || ${present('department')} || has(self.chatbot)`, message: 'one of user, department or chatbot is required' }],
  });
  add(schemaAt(FeishuReceiverSchema, 'user'), { maxItems: 200 });
  add(schemaAt(FeishuReceiverSchema, 'department'), { maxItems: 200 });
  enumAt(FeishuReceiverSchema, 'tmplType', ['post', 'text']);
  add(TelegramReceiverSchema, { rules: [{ rule: 'size(self.channels) > 0', message: 'channels: at least one channel is required' }] });

  // Extension channels (Teams, Google Chat, PagerDuty, Opsgenie).
  enumAt(PagerDutyReceiverSchema, 'severity', PAGERDUTY_SEVERITIES);
  enumAt(OpsgenieReceiverSchema, 'priority', OPSGENIE_PRIORITIES);
  enumAt(OpsgenieReceiverSchema, 'responders[].type', OPSGENIE_RESPONDER_TYPES);

  // Config sections.
  add(EmailConfigSchema, { rules: [{ rule: "self.from.contains('@')", message: 'from: must be one email address' }] });
  add(schemaAt(EmailConfigSchema, 'smartHost.port'), { minimum: 1, maximum: 65535 });
  const providers = SMS_PROVIDERS.map((p) => `has(self.providers.${p})`);
  add(SmsConfigSchema, {
    rules: [
      { rule: providers.join(' || '), message: 'providers: no provider configured' },
      {
        rule: `!has(self.defaultProvider) || size(self.defaultProvider) == 0 || ${SMS_PROVIDERS.map((p) => `(self.defaultProvider == '${p}' && has(self.providers.${p}))`).join(' || ')}`,
        message: `defaultProvider: must be one of ${SMS_PROVIDERS.join(', ')} and configured in providers`,
      },
    ],
  });

  // NotificationManager channel options.
  enumAt(ReceiverOptionsSchema, 'email.tmplType', ['html', 'text']);
  enumAt(ReceiverOptionsSchema, 'wechat.tmplType', ['text', 'markdown']);
  enumAt(ReceiverOptionsSchema, 'dingtalk.tmplType', ['text', 'markdown']);
  enumAt(ReceiverOptionsSchema, 'feishu.tmplType', ['post', 'text']);

  // Router, Silence, InhibitRule.
  add(schemaAt(RouterSpecSchema, 'receivers'), {
    rules: [{ rule: `!has(self.type) || self.type.lowerAscii() in ${oneOfValues(CHANNELS)}`, message: `type: unknown channel type; one of ${CHANNELS.join(', ')}` }],
  });
  add(schemaAt(SilenceSpecSchema, 'startsAt'), { format: 'date-time' });
  add(schemaAt(InhibitRuleSpecSchema, 'equal[]'), { minLength: 1 });

  // EventRule.
  add(EventRuleSpecSchema, { rules: [{ rule: 'has(self.events) != has(self.audit)', message: 'exactly one of events and audit must be set' }] });
  enumAt(KubeEventFilterSchema, 'level', EVENT_LEVELS);
  for (const f of ['namespaces[]', 'kinds[]', 'reasons[]']) add(schemaAt(KubeEventFilterSchema, f), { minLength: 1 });
  for (const f of ['verbs[]', 'resources[]', 'users[]', 'groups[]', 'namespaces[]']) add(schemaAt(AuditFilterSchema, f), { minLength: 1 });
  add(schemaAt(AuditFilterSchema, 'responseCodes[]'), { pattern: '^[1-5][0-9x]{2}$' });
  enumAt(AuditFilterSchema, 'stages[]', AUDIT_STAGES);
  return t;
}

/** Extras for every kind, keyed by zod schema identity. */
export const EXTRAS: ReadonlyMap<z.ZodType, SchemaExtras> = build();
