import { readFileSync } from 'node:fs';
import type { TemplateAlert } from '../view.model.js';

/** Copies of KubeSphere's sample Alertmanager webhook payloads (/work/shared/fixtures). */
const FIXTURE_DIR = new URL('./fixtures/', import.meta.url);

interface Payload {
  receiver?: string;
  alerts: {
    status: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL?: string;
    fingerprint?: string;
  }[];
  groupLabels?: Record<string, string>;
  externalURL?: string;
}

export interface AlertGroup {
  readonly name: string;
  readonly alerts: TemplateAlert[];
  readonly groupLabels: Record<string, string>;
  readonly externalURL?: string;
}

export function readFixtureText(file: string): string {
  return readFileSync(new URL(file, FIXTURE_DIR), 'utf8');
}

function load(file: string): Payload {
  return JSON.parse(readFixtureText(file)) as Payload;
}

function toGroup(name: string, payload: Payload): AlertGroup {
  const alerts = payload.alerts.map((a, i) => ({
    ...a,
    id: `${name}-${i + 1}`,
    fingerprint: a.fingerprint ?? (i + 1).toString(16).padStart(16, '0'),
  }));
  return {
    name,
    alerts,
    groupLabels: payload.groupLabels ?? {},
    ...(payload.externalURL === undefined ? {} : { externalURL: payload.externalURL }),
  };
}

/** One firing alert (KubePodCrashLooping). */
export function singleGroup(): AlertGroup {
  return toGroup('single', load('alert1.json'));
}

/** Two firing alerts without runbook (AlertmanagerFailedReload). */
export function pairGroup(): AlertGroup {
  return toGroup('pair', load('alert6.json'));
}

/**
 * Three CPUThrottlingHigh alerts of alert.json, the second resolved, the first with a Chinese
 * summary (`summaryCn`) so zh-cn shows the Chinese-first message rule.
 */
export function mixedGroup(): AlertGroup {
  const payload = load('alert.json');
  const [a, b, c] = payload.alerts;
  if (a === undefined || b === undefined || c === undefined) throw new Error('alert.json changed');
  const alerts = [
    { ...a, annotations: { ...a.annotations, summaryCn: '容器 calico-kube-controllers 的 CPU 限流达到 30.21%' } },
    { ...b, status: 'resolved', endsAt: '2020-04-17T02:10:14.782098546Z' },
    c,
  ];
  return toGroup('mixed', { ...payload, alerts });
}

/** Six auditing events (labels user, verb, resource… that zh-cn translates), no externalURL. */
export function auditingGroup(): AlertGroup {
  return toGroup('auditing', load('alert-auditing.json'));
}

export function fixtureGroups(): AlertGroup[] {
  return [singleGroup(), pairGroup(), mixedGroup(), auditingGroup()];
}
