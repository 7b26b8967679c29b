import { z } from 'zod';

/**
 * Building blocks shared by every `notification.kubesphere.io/v2beta2` kind
 * (reference: notification-manager.md §1.2).
 *
 * Every object schema is loose: unknown fields are kept so validation can report them as
 * warnings instead of silently dropping them. Structural checks live here; cross-field rules
 * (exactly one of `value`/`valueFrom`, regexes that compile, ...) live in `validate.ts`.
 */

/** Go `time.Duration`-like value: a Go duration string ("1m30s") or integer nanoseconds (CRD quirk). */
export const DurationSchema = z.union([z.string(), z.number()]);
export type Duration = z.infer<typeof DurationSchema>;

export const StringMapSchema = z.record(z.string(), z.string());

export const SecretKeySelectorSchema = z.looseObject({
  namespace: z.string().optional(),
  name: z.string(),
  key: z.string(),
});
export type SecretKeySelector = z.infer<typeof SecretKeySelectorSchema>;

/** A value held inline (`value`) or in a Secret (`valueFrom.secretKeyRef`); exactly one of the two. */
export const CredentialSchema = z.looseObject({
  value: z.string().optional(),
  valueFrom: z
    .looseObject({
      secretKeyRef: SecretKeySelectorSchema.optional(),
    })
    .optional(),
});
export type Credential = z.infer<typeof CredentialSchema>;

/** `{namespace?, name, key?}`; without `key` every data entry of the ConfigMap is used. */
export const ConfigmapKeySelectorSchema = z.looseObject({
  namespace: z.string().optional(),
  name: z.string(),
  key: z.string().optional(),
});
export type ConfigmapKeySelector = z.infer<typeof ConfigmapKeySelectorSchema>;

export const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Match'] as const;
export type SelectorOperator = (typeof SELECTOR_OPERATORS)[number];

export const LabelSelectorRequirementSchema = z.looseObject({
  key: z.string(),
  operator: z.enum(SELECTOR_OPERATORS),
  values: z.array(z.string()).optional(),
  /** Used by `Match` only: an unanchored RE2 regex over the label value. */
  regexValue: z.string().optional(),
});
export type LabelSelectorRequirement = z.infer<typeof LabelSelectorRequirementSchema>;

/** notification-manager's LabelSelector: Kubernetes' plus the `Match` operator. */
export const LabelSelectorSchema = z.looseObject({
  matchLabels: StringMapSchema.optional(),
  matchExpressions: z.array(LabelSelectorRequirementSchema).optional(),
});
export type LabelSelector = z.infer<typeof LabelSelectorSchema>;

export const TLSConfigSchema = z.looseObject({
  rootCA: CredentialSchema.optional(),
  clientCertificate: z
    .looseObject({
      cert: CredentialSchema.optional(),
      key: CredentialSchema.optional(),
    })
    .optional(),
  serverName: z.string().optional(),
  insecureSkipVerify: z.boolean().optional(),
});
export type TLSConfig = z.infer<typeof TLSConfigSchema>;

export const HTTPClientConfigSchema = z.looseObject({
  basicAuth: z
    .looseObject({
      username: z.string().optional(),
      password: CredentialSchema.optional(),
    })
    .optional(),
  bearerToken: CredentialSchema.optional(),
  proxyUrl: z.string().optional(),
  tlsConfig: TLSConfigSchema.optional(),
});
export type HTTPClientConfig = z.infer<typeof HTTPClientConfigSchema>;

/** Builds `scheme://name.namespace[:port]/path` (scheme defaults to http). */
export const ServiceReferenceSchema = z.looseObject({
  namespace: z.string(),
  name: z.string(),
  path: z.string().optional(),
  port: z.number().int().optional(),
  scheme: z.string().optional(),
});
export type ServiceReference = z.infer<typeof ServiceReferenceSchema>;

/** The part of Kubernetes ObjectMeta this model reads. Other metadata fields are kept, never warned about. */
export const ObjectMetaSchema = z.looseObject({
  name: z.string().min(1),
  namespace: z.string().optional(),
  labels: StringMapSchema.optional(),
  annotations: StringMapSchema.optional(),
  resourceVersion: z.string().optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMetaSchema>;

export const NM_API_VERSION = 'notification.kubesphere.io/v2beta2' as const;

/** Fields every receiver channel section may carry (§1.5). */
export const receiverSectionCommon = {
  enabled: z.boolean().optional(),
  alertSelector: LabelSelectorSchema.optional(),
  template: z.string().optional(),
  tmplText: ConfigmapKeySelectorSchema.optional(),
  /** Extension: language of the rendered notification (a language pack name such as `zh-cn`). */
  language: z.string().optional(),
};
