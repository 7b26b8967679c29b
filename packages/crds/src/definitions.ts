import {
  ConfigSchema,
  EventRuleSchema,
  InhibitRuleSchema,
  NM_API_VERSION,
  NotificationManagerSchema,
  ReceiverSchema,
  RouterSchema,
  SilenceSchema,
} from '@nm/model';
import type { z } from 'zod';
import { toStructural, type ExtrasTable, type JSONSchemaProps } from './openapi.js';
import { EXTRAS } from './rules.js';

export const GROUP = NM_API_VERSION.split('/')[0]!;
export const VERSION = NM_API_VERSION.split('/')[1]!;

/** One kind of `notification.kubesphere.io`: notification-manager's names, our descriptions. */
export interface KindDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  description: string;
  schema: z.ZodType;
  printerColumns: PrinterColumn[];
}

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

const VALID: PrinterColumn[] = [
  { name: 'Valid', type: 'string', jsonPath: '.status.conditions[?(@.type=="Valid")].status', description: 'Whether config-sync accepted the object' },
  { name: 'Message', type: 'string', jsonPath: '.status.conditions[?(@.type=="Valid")].message', priority: 1, description: 'Why the object was rejected, in the words of nmctl validate' },
];
const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const TYPE: PrinterColumn = { name: 'Type', type: 'string', jsonPath: '.metadata.labels.type', description: 'global, tenant or default (label type)' };
const ENABLED: PrinterColumn = { name: 'Enabled', type: 'boolean', jsonPath: '.spec.enabled', priority: 1 };

export const KINDS: readonly KindDefinition[] = [
  {
    kind: 'NotificationManager',
    plural: 'notificationmanagers',
    singular: 'notificationmanager',
    shortNames: ['nm'],
    description: 'Global settings: tenancy (tenantKey, receiver selectors), default Config selector, channel options, grouping, routing policy, templates.',
    schema: NotificationManagerSchema,
    printerColumns: [
      { name: 'TenantKey', type: 'string', jsonPath: '.spec.receivers.tenantKey' },
      { name: 'RoutePolicy', type: 'string', jsonPath: '.spec.routePolicy' },
      ...VALID,
      AGE,
    ],
  },
  {
    kind: 'Config',
    plural: 'configs',
    singular: 'config',
    shortNames: ['nc'],
    description: 'Sender-side settings and credentials of one or more channels (SMTP server, bot tokens, app secrets).',
    schema: ConfigSchema,
    printerColumns: [TYPE, ...VALID, AGE],
  },
  {
    kind: 'Receiver',
    plural: 'receivers',
    singular: 'receiver',
    shortNames: ['nr'],
    description: 'Where notifications go: one section per channel (email addresses, chat channels, webhook URL), with an alert filter and a template.',
    schema: ReceiverSchema,
    printerColumns: [TYPE, ...VALID, AGE],
  },
  {
    kind: 'Router',
    plural: 'routers',
    singular: 'router',
    shortNames: [],
    description: 'Sends the alerts its alertSelector matches to named, matched or tenant receivers.',
    schema: RouterSchema,
    printerColumns: [ENABLED, ...VALID, AGE],
  },
  {
    kind: 'Silence',
    plural: 'silences',
    singular: 'silence',
    shortNames: [],
    description: 'Mutes the alerts its matcher selects, from startsAt or on a cron schedule, globally or for one tenant.',
    schema: SilenceSchema,
    printerColumns: [
      TYPE,
      { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule', priority: 1 },
      { name: 'Duration', type: 'string', jsonPath: '.spec.duration', priority: 1 },
      ENABLED,
      ...VALID,
      AGE,
    ],
  },
  {
    kind: 'InhibitRule',
    plural: 'inhibitrules',
    singular: 'inhibitrule',
    shortNames: ['nir'],
    description: 'Alertmanager inhibition with notification-manager selectors: a firing source alert mutes target alerts that share the equal labels (an extension of this project).',
    schema: InhibitRuleSchema,
    printerColumns: [TYPE, ENABLED, ...VALID, AGE],
  },
  {
    kind: 'EventRule',
    plural: 'eventrules',
    singular: 'eventrule',
    shortNames: ['ner'],
    description:
      'Which Kubernetes events (events: level, namespaces, kinds, reasons, involved-object labels) or audit events (audit: verbs, resources, users, groups, namespaces, response codes) become alerts, with extra labels (an extension of this project).',
    schema: EventRuleSchema,
    printerColumns: [
      ENABLED,
      { name: 'Level', type: 'string', jsonPath: '.spec.events.level', description: 'Lowest Kubernetes event type reported (Warning when unset)' },
      ...VALID,
      AGE,
    ],
  },
];

/** What config-sync writes: standard conditions (type Valid, True or False with the reason). */
const STATUS: JSONSchemaProps = {
  type: 'object',
  description: 'Written by config-sync.',
  'x-kubernetes-preserve-unknown-fields': true,
  properties: {
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
    conditions: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
      items: {
        type: 'object',
        required: ['type', 'status'],
        properties: {
          type: { type: 'string', maxLength: 316 },
          status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
          reason: { type: 'string', maxLength: 1024 },
          message: { type: 'string', maxLength: 32768 },
          lastTransitionTime: { type: 'string', format: 'date-time' },
          observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
        },
      },
    },
  },
};

/** The openAPIV3Schema of one kind: the model's spec, Kubernetes' envelope, our status. */
export function kindSchema(def: KindDefinition, extras: ExtrasTable = EXTRAS): JSONSchemaProps {
  const whole = toStructural(def.schema, extras);
  const spec = whole.properties?.['spec'];
  if (!spec) throw new Error(`${def.kind}: the model has no spec`);
  return {
    type: 'object',
    description: def.description,
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion of this object: notification.kubesphere.io/v2beta2.' },
      kind: { type: 'string', description: `Kind of this object: ${def.kind}.` },
      metadata: { type: 'object' },
      spec,
      status: STATUS,
    },
    required: ['spec'],
  };
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames?: string[]; categories: string[] };
    scope: 'Cluster';
    versions: Array<{
      name: string;
      served: true;
      storage: true;
      schema: { openAPIV3Schema: JSONSchemaProps };
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
    }>;
  };
}

/** The CustomResourceDefinition of one kind. */
export function buildCrd(def: KindDefinition): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${def.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'notification-manager' },
      annotations: { 'notification.kubesphere.io/generated-by': 'packages/crds (npm run generate:crds)' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        ...(def.shortNames.length > 0 ? { shortNames: def.shortNames } : {}),
        categories: ['notification-manager'],
      },
      scope: 'Cluster',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: kindSchema(def) },
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns,
        },
      ],
    },
  };
}

export function buildCrds(): CustomResourceDefinition[] {
  return KINDS.map(buildCrd);
}
