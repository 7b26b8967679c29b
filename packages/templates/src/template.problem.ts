/**
 * One finding about template or language-pack configuration, reported when the configuration is
 * loaded (so config-sync can show it on the ConfigMap). `error` means the key was rejected and is
 * not usable; `warning` means it is usable but probably not what was meant.
 */
export interface TemplateProblem {
  readonly severity: 'error' | 'warning';
  readonly code: string;
  /** `configmap <namespace>/<name>` or another human-readable origin. */
  readonly source: string;
  /** The ConfigMap data key, when the problem is about one key. */
  readonly key?: string;
  /** 1-based line inside the key's value, when known. */
  readonly line?: number;
  readonly message: string;
}

export const PROBLEM_CODES = {
  goTemplate: 'GO_TEMPLATE',
  parse: 'TEMPLATE_PARSE',
  unknownPartial: 'UNKNOWN_PARTIAL',
  partialCycle: 'PARTIAL_CYCLE',
  emptyName: 'EMPTY_TEMPLATE_NAME',
  languagePack: 'LANGUAGE_PACK',
  englishPack: 'ENGLISH_PACK_IGNORED',
  unknownLanguage: 'UNKNOWN_LANGUAGE',
  timeZone: 'INVALID_TIME_ZONE',
  unknownTemplate: 'UNKNOWN_TEMPLATE',
  duplicateTemplate: 'DUPLICATE_TEMPLATE',
  goTextIgnored: 'GO_TEXT_IGNORED',
} as const;
