import { z } from 'zod';
import { DurationSchema, LabelSelectorSchema, NM_API_VERSION, ObjectMetaSchema } from './common.schema.js';

/** `Silence` (reference §1.7). Global or tenant by its labels, like receivers. */
export const SilenceSpecSchema = z.looseObject({
  enabled: z.boolean().optional(),
  matcher: LabelSelectorSchema,
  /** RFC 3339; ignored when `schedule` is set. */
  startsAt: z.string().optional(),
  /** Standard 5-field cron or a descriptor such as `@daily`. */
  schedule: z.string().optional(),
  duration: DurationSchema.optional(),
});
export type SilenceSpec = z.infer<typeof SilenceSpecSchema>;

export const SilenceSchema = z.looseObject({
  apiVersion: z.literal(NM_API_VERSION),
  kind: z.literal('Silence'),
  metadata: ObjectMetaSchema,
  spec: SilenceSpecSchema,
});
export type Silence = z.infer<typeof SilenceSchema>;
