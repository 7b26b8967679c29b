import { z } from 'zod';
import { LabelSelectorSchema, NM_API_VERSION, ObjectMetaSchema } from './common.schema.js';

/** `Router` (reference §1.6). */
export const RouterSpecSchema = z.looseObject({
  enabled: z.boolean().optional(),
  alertSelector: LabelSelectorSchema,
  receivers: z.looseObject({
    name: z.array(z.string()).optional(),
    regexName: z.string().optional(),
    selector: LabelSelectorSchema.optional(),
    type: z.string().optional(),
    channels: z
      .array(z.looseObject({ tenant: z.string(), type: z.array(z.string()).optional() }))
      .optional(),
  }),
});
export type RouterSpec = z.infer<typeof RouterSpecSchema>;

export const RouterSchema = z.looseObject({
  apiVersion: z.literal(NM_API_VERSION),
  kind: z.literal('Router'),
  metadata: ObjectMetaSchema,
  spec: RouterSpecSchema,
});
export type Router = z.infer<typeof RouterSchema>;
