import { z } from 'zod';
import { LabelSelectorSchema, NM_API_VERSION, ObjectMetaSchema } from './common.schema.js';

/**
 * Our cluster-scoped `InhibitRule` kind (not in notification-manager): Alertmanager inhibition
 * with notification-manager selectors. Global or tenant by its labels, like `Silence`.
 */
export const InhibitRuleSpecSchema = z.looseObject({
  enabled: z.boolean().optional(),
  sourceSelector: LabelSelectorSchema,
  targetSelector: LabelSelectorSchema,
  equal: z.array(z.string()).optional(),
});
export type InhibitRuleSpec = z.infer<typeof InhibitRuleSpecSchema>;

export const InhibitRuleSchema = z.looseObject({
  apiVersion: z.literal(NM_API_VERSION),
  kind: z.literal('InhibitRule'),
  metadata: ObjectMetaSchema,
  spec: InhibitRuleSpecSchema,
});
export type InhibitRule = z.infer<typeof InhibitRuleSchema>;
