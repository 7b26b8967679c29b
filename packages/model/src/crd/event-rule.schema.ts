import { z } from 'zod';
import { LabelSelectorSchema, NM_API_VERSION, ObjectMetaSchema, StringMapSchema } from './common.schema.js';

/** `Warning` reports Warning events; `Normal` reports Normal and Warning events (kube-eventer's `level`). */
export const EVENT_LEVELS = ['Warning', 'Normal'] as const;
export type EventLevel = (typeof EVENT_LEVELS)[number];

/** Audit stages an audit rule can select (audit.k8s.io/v1). */
export const AUDIT_STAGES = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'] as const;

/**
 * Which Kubernetes events (core/v1 or events.k8s.io/v1) become alerts. Every given criterion must
 * hold; an absent or empty list does not filter.
 */
export const KubeEventFilterSchema = z.looseObject({
  /** Lowest event type reported: `Warning` (default) or `Normal` (Normal and Warning). */
  level: z.string().optional(),
  /** Namespaces of the involved object: names or RE2 regexes, each matched against the whole namespace. */
  namespaces: z.array(z.string()).optional(),
  /** Kinds of the involved object (`Pod`, `Node`, …), exact. */
  kinds: z.array(z.string()).optional(),
  /** RE2 regexes matched anywhere in the reason (as kube-eventer's `reason`); one matching is enough. */
  reasons: z.array(z.string()).optional(),
  /** Labels of the involved object (the exporter reads the object; one it cannot read does not match). */
  involvedObjectSelector: LabelSelectorSchema.optional(),
});
export type KubeEventFilter = z.infer<typeof KubeEventFilterSchema>;

/**
 * Which audit events (audit.k8s.io/v1, posted to `/api/v2/audit` by the API server's audit webhook
 * backend) become alerts. Every given criterion must hold; an absent or empty list does not filter.
 */
export const AuditFilterSchema = z.looseObject({
  /** Request verbs (`create`, `update`, `patch`, `delete`, `get`, …), exact. Default: the writes. */
  verbs: z.array(z.string()).optional(),
  /** `objectRef.resource`, or `resource/subresource` (`pods/exec`), exact; `*` matches any. */
  resources: z.array(z.string()).optional(),
  /** User names: names or RE2 regexes, each matched against the whole name. */
  users: z.array(z.string()).optional(),
  /** Groups of the user: names or RE2 regexes against the whole group; one group matching is enough. */
  groups: z.array(z.string()).optional(),
  /** `objectRef.namespace`: names or RE2 regexes against the whole namespace. */
  namespaces: z.array(z.string()).optional(),
  /** Response codes: `403`, or a class with `x` digits (`5xx`, `40x`). */
  responseCodes: z.array(z.string()).optional(),
  /** Audit stages (default `ResponseComplete` and `Panic`, so one request is one alert). */
  stages: z.array(z.string()).optional(),
});
export type AuditFilter = z.infer<typeof AuditFilterSchema>;

/**
 * Our cluster-scoped `EventRule` kind (not in notification-manager): which Kubernetes events
 * (`events`, read by the event exporter) or audit events (`audit`, posted to ingest) become
 * alerts, and which labels those alerts get. Exactly one of `events` and `audit`.
 */
export const EventRuleSpecSchema = z.looseObject({
  enabled: z.boolean().optional(),
  events: KubeEventFilterSchema.optional(),
  audit: AuditFilterSchema.optional(),
  /** Added to every alert the rule selects (a rule's labels win over the event's, e.g. `alertname`). */
  labels: StringMapSchema.optional(),
});
export type EventRuleSpec = z.infer<typeof EventRuleSpecSchema>;

export const EventRuleSchema = z.looseObject({
  apiVersion: z.literal(NM_API_VERSION),
  kind: z.literal('EventRule'),
  metadata: ObjectMetaSchema,
  spec: EventRuleSpecSchema,
});
export type EventRule = z.infer<typeof EventRuleSchema>;
