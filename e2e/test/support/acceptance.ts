/**
 * A timed acceptance harness in the style of Alertmanager's acceptance tests: a scenario is a
 * timeline with t = 0 when it starts; it POSTs alerts (and runs actions such as kill -9) at given
 * offsets, a webhook sink timestamps every notification, and the scenario expects "between a and
 * b seconds, one notification with exactly this alert set (labels + status)". Every notification
 * of the scenario must match exactly one expectation and every expectation exactly one
 * notification, so duplicates and extra notifications fail as well as missing ones.
 *
 * Scenarios sharing a stack are told apart by a `scenario` label on each of their alerts (group
 * by `alertname`, and give each scenario its own alertnames, so no group mixes scenarios).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZERO_TIME } from '@nm/contracts';
import { sleep, waitFor, webhookPayload, type PostableAlert, type WebhookSink } from '@nm/testing';
import type { Stack } from './stack.js';

/** A firing alert's lease when a test gives none: far beyond any scenario. */
const LEASE_S = 3600;
/** Labels the pipeline adds (ingest defaults `cluster`); left out when comparing alert sets. */
// Labels the pipeline adds on its way: `cluster` (ingest) and `receiver` (the sender, as
// notification-manager >= 2.5 does; checked by dropin-api.e2e).
const DEFAULT_IGNORED_LABELS = ['cluster', 'receiver'];

export type AlertStatus = 'firing' | 'resolved';

/** An alert as a push sends it, with times in seconds relative to the scenario's t = 0. */
export interface TimedAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly startsAtS: number;
  /** undefined = no endsAt in the POST (the aggregator applies resolveTimeout). */
  readonly endsAtS: number | undefined;
}

/** An alert as a notification must carry it. */
export interface ExpectedAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly status: AlertStatus;
  /** For resolved alerts: endsAt (scenario seconds) and how far the notified one may be from it. */
  readonly endsAt?: { readonly atS: number; readonly toleranceS: number };
}

/** One alert identity (a label set) of a scenario; builds pushes and expectations. */
export class AlertDef {
  constructor(readonly labels: Readonly<Record<string, string>>) {}

  /** Firing from `startS`, with an explicit lease far in the future (as Prometheus sends). */
  active(startS = 0): TimedAlert {
    return { labels: this.labels, startsAtS: startS, endsAtS: LEASE_S };
  }

  /** Firing from `startS`, posted without endsAt (resolved by the aggregator's resolveTimeout). */
  activeNoEnd(startS = 0): TimedAlert {
    return { labels: this.labels, startsAtS: startS, endsAtS: undefined };
  }

  /** Resolved at `endS` (push it at or after `endS`). */
  ended(endS: number, startS = 0): TimedAlert {
    return { labels: this.labels, startsAtS: startS, endsAtS: endS };
  }

  firing(): ExpectedAlert {
    return { labels: this.labels, status: 'firing' };
  }

  /** Resolved; with `endsAtS`, its endsAt must be that scenario time (± `toleranceS`). */
  resolved(endsAtS?: number, toleranceS = 0.01): ExpectedAlert {
    return endsAtS === undefined
      ? { labels: this.labels, status: 'resolved' }
      : { labels: this.labels, status: 'resolved', endsAt: { atS: endsAtS, toleranceS } };
  }
}

/** A notification of the scenario as it arrived at the sink. */
export interface ArrivedNotification {
  /** Seconds after the scenario's t = 0. */
  readonly atS: number;
  /** The sink path it was posted to (one per receiver). */
  readonly path: string;
  readonly alerts: ReadonlyArray<{ labels: Record<string, string>; status: string; endsAt: string }>;
  readonly body: unknown;
}

interface Expectation {
  readonly fromS: number;
  readonly toS: number;
  readonly alerts: readonly ExpectedAlert[];
}

interface Step {
  readonly atS: number;
  readonly what: string;
  readonly run: () => Promise<void>;
}

export interface ScenarioResult {
  readonly name: string;
  /** Empty when the scenario passed; otherwise what is wrong, then the whole timeline. */
  readonly problems: string[];
  readonly notifications: ArrivedNotification[];
  /** The timeline as text (steps with their actual offsets, notifications, expectations). */
  readonly report: string;
}

export interface ScenarioOptions {
  stack: Stack;
  sink: WebhookSink;
  /** Path of the receiver's URL on the sink (default: every path; scenarios are told apart by label). */
  path?: string;
  /** Labels dropped from notified alerts before comparing (default `cluster`). */
  ignoreLabels?: readonly string[];
}

const fmt = (s: number): string => s.toFixed(2);

/** `{alertname="x", i="1"}` without the scenario label. */
function labelString(labels: Readonly<Record<string, string>>): string {
  return `{${Object.keys(labels)
    .filter((k) => k !== 'scenario')
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ')}}`;
}

const labelKey = (labels: Readonly<Record<string, string>>): string =>
  JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );

const alertSetString = (alerts: ReadonlyArray<{ labels: Readonly<Record<string, string>>; status: string }>): string =>
  `[${alerts
    .map((a) => `${labelString(a.labels)}:${a.status}`)
    .sort()
    .join(' ')}]`;

export class Scenario {
  private readonly steps: Step[] = [];
  private readonly expectations: Expectation[] = [];
  private readonly log: Array<{ atS: number; line: string }> = [];
  private readonly problems: string[] = [];
  private t0 = 0;

  constructor(
    readonly name: string,
    private readonly opts: ScenarioOptions,
  ) {}

  /** An alert of this scenario (its labels plus `scenario: <name>`). */
  alert(labels: Record<string, string>): AlertDef {
    return new AlertDef({ ...labels, scenario: this.name });
  }

  /** At `atS`, POST `alerts` to /api/v2/alerts as a JSON array (the Alertmanager/Prometheus API shape). */
  push(atS: number, ...alerts: TimedAlert[]): this {
    this.steps.push({
      atS,
      what: `push array ${alertSetString(alerts.map((a) => ({ labels: a.labels, status: this.describeTimes(a) })))}`,
      run: () => this.post(atS, alerts.map((a) => this.postable(a))),
    });
    return this;
  }

  /** At `atS`, POST `alerts` in Alertmanager's webhook shape (`{receiver, status, alerts, ...}`). */
  pushWebhook(atS: number, ...alerts: TimedAlert[]): this {
    this.steps.push({
      atS,
      what: `push webhook ${alertSetString(alerts.map((a) => ({ labels: a.labels, status: this.describeTimes(a) })))}`,
      run: () =>
        this.post(
          atS,
          webhookPayload(
            alerts.map((a) => {
              const p = this.postable(a);
              const resolved = p.endsAt !== undefined && Date.parse(p.endsAt) <= Date.now();
              return { ...p, status: resolved ? 'resolved' : 'firing', endsAt: resolved ? p.endsAt : ZERO_TIME };
            }),
          ),
        ),
    });
    return this;
  }

  /** At `atS`, run `action` (kill -9, restart, ...); the scenario waits for it. */
  at(atS: number, what: string, action: () => Promise<void> | void): this {
    this.steps.push({
      atS,
      what,
      run: async () => {
        await action();
      },
    });
    return this;
  }

  /** Between `fromS` and `toS` (inclusive), one notification with exactly `alerts`. */
  want(fromS: number, toS: number, ...alerts: ExpectedAlert[]): this {
    if (toS < fromS) throw new Error(`want(${fromS}, ${toS}): empty window`);
    this.expectations.push({ fromS, toS, alerts });
    return this;
  }

  /** Runs the timeline until `untilS`, then compares what arrived with the expectations. */
  async run(untilS: number): Promise<ScenarioResult> {
    const lastStep = Math.max(0, ...this.steps.map((s) => s.atS));
    const lastWant = Math.max(0, ...this.expectations.map((e) => e.toS));
    if (untilS < lastStep || untilS < lastWant) throw new Error(`run(${untilS}): steps or expectations run until ${Math.max(lastStep, lastWant)}`);
    this.t0 = Date.now();
    const sorted = [...this.steps].sort((a, b) => a.atS - b.atS);
    // steps run in order, each at its time (a late step delays the ones after it, never reorders them)
    for (const step of sorted) {
      const wait = this.t0 + step.atS * 1000 - Date.now();
      if (wait > 0) await sleep(wait);
      const started = this.now();
      try {
        await step.run();
        this.note(started, `${step.what} (done at ${fmt(this.now())})`);
      } catch (err) {
        this.note(started, `${step.what} FAILED: ${(err as Error).message}`);
        this.problems.push(`step at ${fmt(step.atS)} s failed: ${step.what}: ${(err as Error).message}`);
      }
      if (started - step.atS > 0.5) this.problems.push(`step at ${fmt(step.atS)} s started late, at ${fmt(started)} s: ${step.what}`);
    }
    const end = this.t0 + untilS * 1000 - Date.now();
    if (end > 0) await sleep(end);
    const result = this.evaluate(untilS);
    if (result.problems.length > 0) result.problems.push(await this.afterwards(untilS));
    return result;
  }

  /**
   * For a failed scenario: what the sink got during it (any scenario's requests, so a stalled
   * pipeline tells apart from a wrong notification), and this scenario's notifications that
   * arrive within `LATE_GRACE_S` after its end (late, not lost).
   */
  private async afterwards(untilS: number): Promise<string> {
    const all = this.opts.sink.accepted().filter((r) => r.receivedAt >= this.t0 && r.receivedAt <= this.t0 + untilS * 1000);
    await sleep(LATE_GRACE_S * 1000);
    const late = this.notifications().filter((n) => n.atS > untilS);
    return (
      `the sink accepted ${all.length} request(s) of any scenario between the start and ${fmt(untilS)} s; ` +
      (late.length === 0
        ? `none of this scenario arrived in the ${LATE_GRACE_S} s after`
        : `late arrivals of this scenario: ${late.map((n) => `${fmt(n.atS)} s ${alertSetString(n.alerts)}`).join('; ')}`)
    );
  }

  /** Notifications of this scenario received so far (any alert labelled with this scenario). */
  notifications(): ArrivedNotification[] {
    return this.opts.sink
      .accepted(this.opts.path)
      .filter((r) => r.receivedAt >= this.t0)
      .map((r) => {
        const body = r.body as { alerts?: Array<{ labels?: Record<string, string>; status?: string; endsAt?: string }> } | undefined;
        const ignore = new Set(this.opts.ignoreLabels ?? DEFAULT_IGNORED_LABELS);
        const alerts = (body?.alerts ?? []).map((a) => ({
          labels: Object.fromEntries(Object.entries(a.labels ?? {}).filter(([k]) => !ignore.has(k))),
          status: a.status ?? '?',
          endsAt: a.endsAt ?? '',
        }));
        return { atS: (r.receivedAt - this.t0) / 1000, path: r.path, alerts, body: r.body };
      })
      .filter((n) => n.alerts.some((a) => a.labels.scenario === this.name));
  }

  private now(): number {
    return (Date.now() - this.t0) / 1000;
  }

  private note(atS: number, line: string): void {
    this.log.push({ atS, line });
  }

  private describeTimes(a: TimedAlert): string {
    return a.endsAtS === undefined ? `starts ${a.startsAtS} no end` : a.endsAtS >= LEASE_S ? `starts ${a.startsAtS}` : `starts ${a.startsAtS} ends ${a.endsAtS}`;
  }

  private postable(a: TimedAlert): PostableAlert {
    const iso = (s: number): string => new Date(this.t0 + s * 1000).toISOString();
    return {
      labels: { ...a.labels },
      annotations: { summary: `${labelString(a.labels)} of scenario ${this.name}` },
      startsAt: iso(a.startsAtS),
      ...(a.endsAtS === undefined ? {} : { endsAt: iso(a.endsAtS) }),
    };
  }

  private async post(atS: number, body: unknown): Promise<void> {
    const r = await this.opts.stack.postAlerts(body);
    if (r.status !== 200) throw new Error(`ingest answered ${r.status} ${JSON.stringify(r.body)} (push at ${atS} s)`);
  }

  private matches(n: ArrivedNotification, e: Expectation): boolean {
    if (n.atS < e.fromS || n.atS > e.toS) return false;
    return this.sameAlerts(n, e) === undefined;
  }

  /** undefined when the notification carries exactly the expected alerts, else why not. */
  private sameAlerts(n: ArrivedNotification, e: Expectation): string | undefined {
    if (n.alerts.length !== e.alerts.length) return `${n.alerts.length} alerts, expected ${e.alerts.length}`;
    const left = [...n.alerts];
    for (const want of e.alerts) {
      const i = left.findIndex((a) => labelKey(a.labels) === labelKey(want.labels) && a.status === want.status);
      if (i < 0) return `no ${labelString(want.labels)}:${want.status}`;
      const got = left.splice(i, 1)[0]!;
      if (want.endsAt) {
        const at = (Date.parse(got.endsAt) - this.t0) / 1000;
        if (!Number.isFinite(at) || Math.abs(at - want.endsAt.atS) > want.endsAt.toleranceS)
          return `${labelString(want.labels)} endsAt ${got.endsAt} (${Number.isFinite(at) ? fmt(at) : '?'} s), expected ${fmt(want.endsAt.atS)} ± ${want.endsAt.toleranceS} s`;
      }
    }
    return undefined;
  }

  private evaluate(untilS: number): ScenarioResult {
    const arrived = this.notifications().filter((n) => n.atS <= untilS);
    // maximum bipartite matching notifications ↔ expectations (windows may touch; sets may repeat)
    const matchOfExp = new Array<number>(this.expectations.length).fill(-1);
    const tryAssign = (ni: number, seen: boolean[]): boolean => {
      for (let ei = 0; ei < this.expectations.length; ei++) {
        if (seen[ei] || !this.matches(arrived[ni]!, this.expectations[ei]!)) continue;
        seen[ei] = true;
        if (matchOfExp[ei] === -1 || tryAssign(matchOfExp[ei]!, seen)) {
          matchOfExp[ei] = ni;
          return true;
        }
      }
      return false;
    };
    arrived.forEach((_, ni) => tryAssign(ni, new Array<boolean>(this.expectations.length).fill(false)));
    const matchedN = new Set(matchOfExp.filter((i) => i >= 0));
    const problems = [...this.problems];
    this.expectations.forEach((e, ei) => {
      if (matchOfExp[ei] !== -1) return;
      const near = arrived
        .filter((n) => !matchedN.has(arrived.indexOf(n)))
        .map((n) => `${fmt(n.atS)} s ${alertSetString(n.alerts)}${n.atS >= e.fromS && n.atS <= e.toS ? ` (in the window: ${this.sameAlerts(n, e)})` : ''}`);
      problems.push(
        `missing: between ${fmt(e.fromS)} and ${fmt(e.toS)} s, a notification ${alertSetString(e.alerts)}` +
          (near.length > 0 ? `; unmatched arrivals: ${near.join('; ')}` : ''),
      );
    });
    arrived.forEach((n, ni) => {
      if (!matchedN.has(ni)) problems.push(`unexpected notification at ${fmt(n.atS)} s: ${alertSetString(n.alerts)}`);
    });
    if (arrived.length !== this.expectations.length)
      problems.push(`${arrived.length} notifications arrived until ${fmt(untilS)} s, expected exactly ${this.expectations.length}`);
    const report = this.report(arrived, matchOfExp);
    if (problems.length > 0) problems.push(`timeline of scenario ${this.name}:\n${report}`);
    // E2E_ACCEPTANCE_REPORT=1 prints every timeline, e.g. to see how close arrivals come to their windows
    if (process.env.E2E_ACCEPTANCE_REPORT) console.log(`scenario ${this.name}:\n${report}`);
    return { name: this.name, problems, notifications: arrived, report };
  }

  private report(arrived: ArrivedNotification[], matchOfExp: number[]): string {
    const lines = [
      ...this.log.map((l) => ({ atS: l.atS, line: `${fmt(l.atS)}  ${l.line}` })),
      ...arrived.map((n, ni) => {
        const ei = matchOfExp.indexOf(ni);
        return { atS: n.atS, line: `${fmt(n.atS)}  notified ${alertSetString(n.alerts)}${ei >= 0 ? ` (expectation #${ei + 1})` : ' (UNEXPECTED)'}` };
      }),
    ].sort((a, b) => a.atS - b.atS);
    const wants = this.expectations.map(
      (e, ei) => `  #${ei + 1} ${fmt(e.fromS)}..${fmt(e.toS)} ${alertSetString(e.alerts)}${matchOfExp[ei] === -1 ? ' MISSING' : ''}`,
    );
    return [...lines.map((l) => `  ${l.line}`), 'expected:', ...wants].join('\n');
  }
}

/** Runs scenarios at the same time (they share the stack, each with its own alerts) and returns their results by name. */
export async function runScenarios(scenarios: ReadonlyArray<{ scenario: Scenario; untilS: number }>): Promise<Map<string, ScenarioResult>> {
  const results = await Promise.all(scenarios.map(({ scenario, untilS }) => scenario.run(untilS)));
  return new Map(results.map((r) => [r.name, r]));
}

/**
 * The window in which a flush scheduled at scenario time `atS` must arrive: a little before
 * (groups are created when the aggregator receives the alert, a few ms after the push, and an
 * owner checks due groups every tick), and up to `LATE_S` after (pipeline latency in and out on a
 * loaded machine).
 */
export const EARLY_S = 0.7;
export const LATE_S = 1.5;
export function around(atS: number, late = LATE_S): [number, number] {
  return [Math.max(0, atS - EARLY_S), atS + late];
}

/** How long a failed scenario watches for its notifications arriving after its end, s. */
const LATE_GRACE_S = 5;

/**
 * Sends one alert through the whole pipeline and waits for its notification, so the first timed
 * push of a test does not pay for cold processes. The alert started an hour ago, so a stateful
 * group flushes it at once (Alertmanager's shortcut for alerts older than groupWait); it is
 * labelled `scenario: warmup`, which no scenario looks at.
 */
export async function warmUp(stack: Stack, sink: WebhookSink, labels: Record<string, string>, timeoutMs = 30_000): Promise<void> {
  const since = Date.now();
  const r = await stack.postAlerts([
    {
      labels: { ...labels, scenario: 'warmup' },
      startsAt: new Date(since - 3_600_000).toISOString(),
      endsAt: new Date(since + 3_600_000).toISOString(),
    },
  ]);
  if (r.status !== 200) throw new Error(`warm-up POST answered ${r.status} ${JSON.stringify(r.body)}`);
  await waitFor('the warm-up notification', () => sink.accepted().some((q) => q.receivedAt >= since && q.rawBody.includes('"warmup"')), timeoutMs, 50);
}

/** The highest configuration revision an aggregator replica logged loading (0 when none). */
function loadedRevision(stack: Stack, replica: number): number {
  let max = 0;
  for (const m of stack.logs('aggregator', replica).matchAll(/"revision":(\d+)[^\n]*"config snapshot loaded"/g)) max = Math.max(max, Number(m[1]));
  return max;
}

/**
 * Rewrites a manifest of the running stack (e.g. the NotificationManager with other aggregation
 * settings) and waits until each of `replicas` of the aggregator logged loading the new revision,
 * so one stack can run scenarios under several settings. Groups of earlier scenarios stay and
 * follow the new settings; scenarios ignore notifications of other scenarios' alerts.
 */
export async function reconfigure(stack: Stack, file: string, text: string, replicas: readonly number[] = [0]): Promise<void> {
  const before = replicas.map((r) => loadedRevision(stack, r));
  writeFileSync(join(stack.configDir, file), text);
  if (!/^(info|debug|trace)?$/.test(process.env.E2E_LOG_LEVEL ?? '')) {
    // no info logs to watch: config-sync picks the file up within a second or two, readers within a poll
    await sleep(4000);
    return;
  }
  await waitFor('the aggregator loaded the changed configuration', () => replicas.every((r, i) => loadedRevision(stack, r) > before[i]!), 30_000, 100);
}
