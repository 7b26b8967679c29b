import { commonPairs, plainMap } from '../label.pairs.js';
import type { TemplateAlert } from '../view.model.js';
import { parseTime, timeOfDate, zeroTime } from './time.js';
import {
  compareStrings,
  GoMap,
  GoSlice,
  GoStruct,
  goType,
  P_STRING,
  P_STRING_SLICE,
  stringsOf,
  stringSlice,
  type GoFunc,
  type GoType,
  type GoValue,
} from './values.js';

/**
 * notification-manager's template data model (its `pkg/template/types.go`), as Go templates see
 * it: `Data` with `Alerts` (and `.Alerts.Firing` / `.Alerts.Resolved`), `GroupLabels`,
 * `CommonLabels`, `CommonAnnotations` and the `Status` method; `Alert` with `ID`, `Status`,
 * `Labels`, `Annotations`, `StartsAt`, `EndsAt`, `NotificationTime` and the `Message` /
 * `MessageCN` methods; `KV` maps with `SortedPairs`, `Remove`, `Names`, `Values`; `Pairs` with
 * `Filter`, `DefaultFilter`, `Names`, `Values`. Alertmanager's `.Receiver` and `.ExternalURL`
 * (of the notification) and `.GeneratorURL` and `.Fingerprint` (of an alert) are added, so
 * templates written for Alertmanager work too.
 */

/** Labels `SortedPairs` leaves out, as notification-manager does. */
const HIDDEN_IN_PAIRS = ['rule_id'];
/** `DefaultFilter` removes these (notification-manager's list; `summaryCn` is not in it). */
const DEFAULT_FILTER = ['rule_id', 'runbook_url', 'message', 'summary', 'summary_cn'];

const self = <T>(r: GoValue): T => r as T;

const PAIR_TYPE = goType('template.Pair', 'struct', { fields: ['Name', 'Value'] });

const PAIRS_METHODS: Record<string, GoFunc> = {};
export const PAIRS_TYPE: GoType = goType('template.Pairs', 'slice', { methods: PAIRS_METHODS });

const KV_METHODS: Record<string, GoFunc> = {};
export const KV_TYPE: GoType = goType('template.KV', 'map', { methods: KV_METHODS, elemZero: '' });

function pair(name: string, value: string): GoStruct {
  return new GoStruct(PAIR_TYPE, { Name: name, Value: value });
}

function pairName(p: GoValue): string {
  return (p as GoStruct).fields['Name'] as string;
}

function pairValue(p: GoValue): string {
  return (p as GoStruct).fields['Value'] as string;
}

function filterPairs(pairs: GoSlice, keys: readonly string[]): GoSlice {
  return new GoSlice(PAIRS_TYPE, pairs.items.filter((p) => !keys.includes(pairName(p))));
}

Object.assign(PAIRS_METHODS, {
  Filter: { params: [], variadic: P_STRING, call: (a, r) => filterPairs(self<GoSlice>(r), a as string[]) },
  DefaultFilter: { params: [], call: (_a, r) => filterPairs(self<GoSlice>(r), DEFAULT_FILTER) },
  Names: { params: [], call: (_a, r) => stringSlice(self<GoSlice>(r).items.map(pairName)) },
  Values: { params: [], call: (_a, r) => stringSlice(self<GoSlice>(r).items.map(pairValue)) },
} satisfies Record<string, GoFunc>);

/** `alertname` first, then the other names sorted; `rule_id` left out. */
export function sortedPairs(kv: GoMap): GoSlice {
  const keys = Object.keys(kv.entries).filter((k) => !HIDDEN_IN_PAIRS.includes(k));
  keys.sort((a, b) => (a === 'alertname' ? -1 : b === 'alertname' ? 1 : compareStrings(a, b)));
  return new GoSlice(
    PAIRS_TYPE,
    keys.map((k) => pair(k, kv.entries[k] as string)),
  );
}

Object.assign(KV_METHODS, {
  SortedPairs: { params: [], call: (_a, r) => sortedPairs(self<GoMap>(r)) },
  Remove: {
    params: [P_STRING_SLICE],
    call: (a, r) => {
      const drop = new Set(stringsOf(a[0]));
      const out: Record<string, GoValue> = Object.create(null) as Record<string, GoValue>;
      for (const [k, v] of Object.entries(self<GoMap>(r).entries)) if (!drop.has(k)) out[k] = v;
      return new GoMap(KV_TYPE, out);
    },
  },
  Names: { params: [], call: (_a, r) => stringSlice(sortedPairs(self<GoMap>(r)).items.map(pairName)) },
  Values: { params: [], call: (_a, r) => stringSlice(sortedPairs(self<GoMap>(r)).items.map(pairValue)) },
} satisfies Record<string, GoFunc>);

export function kv(map: Readonly<Record<string, string>> | undefined): GoMap {
  return new GoMap(KV_TYPE, plainMap(map));
}

function firstNonEmpty(...values: (string | undefined)[]): string {
  for (const v of values) if (v !== undefined && v !== '') return v;
  return '';
}

function annotationsOf(alert: GoValue): Readonly<Record<string, GoValue>> {
  return ((alert as GoStruct).fields['Annotations'] as GoMap).entries;
}

/** `Alert.Message()`: message, else summary, else summaryCn. */
export function alertMessage(alert: GoValue): string {
  const a = annotationsOf(alert) as Record<string, string | undefined>;
  return firstNonEmpty(a['message'], a['summary'], a['summaryCn']);
}

/** `Alert.MessageCN()`: summaryCn, else message, else summary. */
export function alertMessageCN(alert: GoValue): string {
  const a = annotationsOf(alert) as Record<string, string | undefined>;
  return firstNonEmpty(a['summaryCn'], a['message'], a['summary']);
}

const ALERT_METHODS: Record<string, GoFunc> = {
  Message: { params: [], call: (_a, r) => alertMessage(r) },
  MessageCN: { params: [], call: (_a, r) => alertMessageCN(r) },
};

export const ALERT_FIELDS = [
  'ID',
  'Status',
  'Labels',
  'Annotations',
  'StartsAt',
  'EndsAt',
  'NotifySuccessful',
  'NotificationTime',
  'Receiver',
  'GeneratorURL',
  'Fingerprint',
] as const;

export const ALERT_TYPE: GoType = goType('*template.Alert', 'ptr', { methods: ALERT_METHODS, fields: ALERT_FIELDS });
const ALERT_SLICE_TYPE = goType('[]*template.Alert', 'slice');
const RECEIVER_INFO_TYPE = goType('map[string]interface {}', 'map', { elemZero: null });
const RECEIVER_MAP_TYPE = goType('map[string]map[string]interface {}', 'map', { elemZero: new GoMap(RECEIVER_INFO_TYPE, Object.create(null) as Record<string, GoValue>) });

function statusFilter(status: string): GoFunc {
  return { params: [], call: (_a, r) => new GoSlice(ALERT_SLICE_TYPE, self<GoSlice>(r).items.filter((a) => (a as GoStruct).fields['Status'] === status)) };
}

const ALERTS_TYPE = goType('template.Alerts', 'slice', { methods: { Firing: statusFilter('firing'), Resolved: statusFilter('resolved') } });

/** `Data.Status()`: `firing` when every alert fires, `resolved` when every alert is resolved, else empty. */
function dataStatus(data: GoValue): string {
  const alerts = ((data as GoStruct).fields['Alerts'] as GoSlice).items;
  const count = (s: string): number => alerts.filter((a) => (a as GoStruct).fields['Status'] === s).length;
  if (count('firing') === alerts.length) return 'firing';
  if (count('resolved') === alerts.length) return 'resolved';
  return '';
}

export const DATA_TYPE: GoType = goType('*template.Data', 'ptr', {
  methods: { Status: { params: [], call: (_a, r) => dataStatus(r) } },
  fields: ['Alerts', 'GroupLabels', 'CommonLabels', 'CommonAnnotations', 'Receiver', 'ExternalURL'],
});

export interface GoDataInput {
  readonly alerts: readonly TemplateAlert[];
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly receiverName: string;
  readonly externalURL?: string | undefined;
  readonly notificationTime: Date;
  /** The configured IANA time zone: what `.StartsAt.Local` converts to. */
  readonly timeZone: string;
}

export interface GoData {
  readonly data: GoStruct;
  /** The alerts in input order (the same objects `.Alerts` holds). */
  readonly alerts: readonly GoStruct[];
}

/** The `Data` of one notification (or any subset of its alerts), as notification-manager builds it. */
export function buildGoData(input: GoDataInput): GoData {
  const zone = input.timeZone;
  const notificationTime = timeOfDate(input.notificationTime, zone);
  const emptyReceiver = new GoMap(RECEIVER_MAP_TYPE, Object.create(null) as Record<string, GoValue>);
  const labelMaps: Record<string, string>[] = [];
  const annotationMaps: Record<string, string>[] = [];
  const alerts = input.alerts.map((a) => {
    const labels = kv(a.labels);
    const annotations = kv(a.annotations);
    labelMaps.push(labels.entries as Record<string, string>);
    annotationMaps.push(annotations.entries as Record<string, string>);
    return new GoStruct(ALERT_TYPE, {
      ID: a.id ?? '',
      Status: a.status,
      Labels: labels,
      Annotations: annotations,
      StartsAt: parseTime(a.startsAt, zone),
      EndsAt: a.endsAt ? parseTime(a.endsAt, zone) : zeroTime(zone),
      NotifySuccessful: false,
      NotificationTime: notificationTime,
      Receiver: emptyReceiver,
      GeneratorURL: a.generatorURL ?? '',
      Fingerprint: a.fingerprint ?? '',
    });
  });
  const data = new GoStruct(DATA_TYPE, {
    Alerts: new GoSlice(ALERTS_TYPE, alerts),
    GroupLabels: kv(input.groupLabels),
    CommonLabels: new GoMap(KV_TYPE, commonPairs(labelMaps)),
    CommonAnnotations: new GoMap(KV_TYPE, commonPairs(annotationMaps)),
    Receiver: input.receiverName,
    ExternalURL: input.externalURL ?? '',
  });
  return { data, alerts };
}

