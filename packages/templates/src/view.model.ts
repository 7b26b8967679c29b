import { createLambdas, type Lambdas, type RenderState } from './lambdas.js';
import { translateWord, type Language } from './language.packs.js';
import { commonPairs, HIDDEN_ANNOTATIONS, HIDDEN_LABELS, plainMap, sortedPairs, type LabelPair } from './label.pairs.js';
import { formatDate, formatTimestamp } from './time.format.js';

/**
 * The alert fields templates use. `Alert` of `@nm/contracts` fits; so does an alert of an
 * Alertmanager webhook payload.
 */
export interface TemplateAlert {
  readonly id?: string;
  readonly status: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL?: string;
  readonly fingerprint?: string;
}

export interface ReceiverIdentity {
  readonly name: string;
  readonly tenant: string;
}

/** What the view model is computed from: one notification (or any subset of its alerts). */
export interface ViewModelInput {
  readonly alerts: readonly TemplateAlert[];
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly groupKey?: string;
  readonly receiver: ReceiverIdentity;
  readonly externalURL?: string;
  readonly notificationTime?: Date;
}

export const GROUP_STATUSES = ['firing', 'resolved', 'mixed'] as const;
export type GroupStatus = (typeof GROUP_STATUSES)[number];

/** One alert as templates see it. */
export interface AlertView {
  readonly id: string;
  /** 1-based position in its list. */
  readonly number: number;
  readonly first: boolean;
  readonly last: boolean;
  readonly status: 'firing' | 'resolved';
  /** The status in the receiver's language (`FIRING` / `RESOLVED` in English, `触发中` in zh-cn). */
  readonly statusText: string;
  readonly firing: boolean;
  readonly resolved: boolean;
  /** The raw maps, for `{{labels.alertname}}` and `{{annotations.message}}`. */
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Labels in order (alertname first, then sorted), `rule_id` hidden. */
  readonly labelPairs: readonly LabelPair[];
  /** Annotations in order, without message, summary, summary_cn, summaryCn and runbook_url. */
  readonly annotationPairs: readonly LabelPair[];
  /** Every annotation in order, nothing hidden. */
  readonly allAnnotationPairs: readonly LabelPair[];
  /** message → summary → summaryCn; in zh-cn summaryCn → message → summary. */
  readonly message: string;
  readonly messageEn: string;
  readonly messageCn: string;
  /** RFC 3339 as received (`endsAt` is Alertmanager's zero time while firing). */
  readonly startsAt: string;
  readonly endsAt: string;
  /** The same instants in the configured time zone; `endTime` is empty while firing. */
  readonly startTime: string;
  readonly endTime: string;
  readonly generatorURL: string;
  /** generatorURL when it is an http(s) URL, else empty: safe for `href`. */
  readonly sourceURL: string;
  readonly runbookURL: string;
  readonly fingerprint: string;
}

export type AlertList = AlertView[] & { readonly firing: AlertView[]; readonly resolved: AlertView[] };

/** The template API: everything a template can refer to. See docs/templates.md. */
export interface ViewModel extends Lambdas {
  /** `firing` when every alert fires, `resolved` when every alert is resolved, else `mixed`. */
  readonly status: GroupStatus;
  /** Translated; a mixed group shows both words (`FIRING|RESOLVED`). */
  readonly statusText: string;
  readonly isFiring: boolean;
  readonly isResolved: boolean;
  readonly isMixed: boolean;
  /** Every alert; `alerts.firing` and `alerts.resolved` are the subsets, as in Alertmanager. */
  readonly alerts: AlertList;
  readonly firingAlerts: readonly AlertView[];
  readonly resolvedAlerts: readonly AlertView[];
  readonly alertCount: number;
  readonly firingCount: number;
  readonly resolvedCount: number;
  readonly single: boolean;
  readonly multiple: boolean;
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly commonLabels: Readonly<Record<string, string>>;
  readonly commonAnnotations: Readonly<Record<string, string>>;
  readonly groupLabelPairs: readonly LabelPair[];
  readonly commonLabelPairs: readonly LabelPair[];
  readonly commonAnnotationPairs: readonly LabelPair[];
  /** The Receiver's name (Alertmanager's `.Receiver`). */
  readonly receiver: string;
  readonly tenant: string;
  readonly externalURL: string;
  readonly groupKey: string;
  readonly language: string;
  readonly timeZone: string;
  /** When this notification was rendered, in the configured time zone. */
  readonly notificationTime: string;
  /**
   * Always empty. mustache.js drops the line break of a line that holds only section or partial
   * tags (`{{#alerts}}{{> nm.default.message}}`); a `{{keepLine}}` on that line keeps it.
   */
  readonly keepLine: '';
}

function firstNonEmpty(...values: (string | undefined)[]): string {
  for (const v of values) if (v !== undefined && v !== '') return v;
  return '';
}

/** Alertmanager's group key for a label set: `{}:{a="x", b="y"}`. */
export function defaultGroupKey(groupLabels: Readonly<Record<string, string>>): string {
  const inner = Object.keys(groupLabels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(groupLabels[k])}`)
    .join(', ');
  return `{}:{${inner}}`;
}

export interface ViewModelContext {
  readonly language: Language;
  readonly timeZone: string;
  readonly state: RenderState;
}

/** Computes the view model once per notification. */
export function createViewModel(input: ViewModelInput, ctx: ViewModelContext): ViewModel {
  const { language, timeZone } = ctx;
  const names = new Map<string, string>();
  const display = (name: string): string => {
    let t = names.get(name);
    if (t === undefined) {
      t = translateWord(language, name);
      names.set(name, t);
    }
    return t;
  };
  const firingText = translateWord(language, 'firing');
  const resolvedText = translateWord(language, 'resolved');
  const count = input.alerts.length;

  const alerts = input.alerts.map((a, i): AlertView => {
    const annotations = plainMap(a.annotations);
    const labels = plainMap(a.labels);
    const resolved = a.status === 'resolved';
    const messageEn = firstNonEmpty(annotations.message, annotations.summary, annotations.summaryCn, annotations.summary_cn);
    const messageCn = firstNonEmpty(annotations.summaryCn, annotations.summary_cn, annotations.message, annotations.summary);
    const generatorURL = a.generatorURL ?? '';
    return {
      id: a.id ?? '',
      number: i + 1,
      first: i === 0,
      last: i === count - 1,
      status: resolved ? 'resolved' : 'firing',
      statusText: resolved ? resolvedText : firingText,
      firing: !resolved,
      resolved,
      labels,
      annotations,
      labelPairs: sortedPairs(labels, HIDDEN_LABELS, display),
      annotationPairs: sortedPairs(annotations, HIDDEN_ANNOTATIONS, display),
      allAnnotationPairs: sortedPairs(annotations, [], display),
      message: language.chineseFirst ? messageCn : messageEn,
      messageEn,
      messageCn,
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      startTime: formatTimestamp(a.startsAt, timeZone),
      endTime: resolved ? formatTimestamp(a.endsAt, timeZone) : '',
      generatorURL,
      sourceURL: /^https?:\/\//i.test(generatorURL) ? generatorURL : '',
      runbookURL: annotations.runbook_url ?? '',
      fingerprint: a.fingerprint ?? '',
    };
  });

  const subset = (resolved: boolean): AlertView[] => {
    const picked = alerts.filter((a) => a.resolved === resolved);
    return picked.map((a, i) => ({ ...a, number: i + 1, first: i === 0, last: i === picked.length - 1 }));
  };
  const firingAlerts = subset(false);
  const resolvedAlerts = subset(true);
  const list = Object.assign(alerts, { firing: firingAlerts, resolved: resolvedAlerts });

  const status: GroupStatus =
    resolvedAlerts.length === 0 ? 'firing' : firingAlerts.length === 0 ? 'resolved' : 'mixed';
  const statusText = status === 'firing' ? firingText : status === 'resolved' ? resolvedText : `${firingText}|${resolvedText}`;

  const groupLabels = plainMap(input.groupLabels);
  const commonLabels = commonPairs(alerts.map((a) => a.labels));
  const commonAnnotations = commonPairs(alerts.map((a) => a.annotations));

  return {
    ...createLambdas(ctx.state, language),
    status,
    statusText,
    isFiring: status === 'firing',
    isResolved: status === 'resolved',
    isMixed: status === 'mixed',
    alerts: list,
    firingAlerts,
    resolvedAlerts,
    alertCount: count,
    firingCount: firingAlerts.length,
    resolvedCount: resolvedAlerts.length,
    single: count === 1,
    multiple: count > 1,
    groupLabels,
    commonLabels,
    commonAnnotations,
    groupLabelPairs: sortedPairs(groupLabels, HIDDEN_LABELS, display),
    commonLabelPairs: sortedPairs(commonLabels, HIDDEN_LABELS, display),
    commonAnnotationPairs: sortedPairs(commonAnnotations, HIDDEN_ANNOTATIONS, display),
    receiver: input.receiver.name,
    tenant: input.receiver.tenant,
    externalURL: input.externalURL ?? '',
    groupKey: input.groupKey ?? defaultGroupKey(input.groupLabels),
    language: language.name,
    timeZone,
    notificationTime: formatDate(input.notificationTime ?? new Date(), timeZone),
    keepLine: '',
  };
}
