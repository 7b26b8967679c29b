/** Alerts, render functions and a controllable clock for the channel tests. */
import type { Alert } from '@nm/contracts';
import type { Clock } from '../clock.js';
import type { OutgoingMessage, Rendered } from '../channel.types.js';

export function alert(i: number, summary = `summary ${i}`): Alert {
  return {
    id: `a${i}`,
    status: 'firing',
    labels: { alertname: `Alert${i}`, severity: 'warning' },
    annotations: { summary },
    startsAt: '2024-05-14T10:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    fingerprint: i.toString(16).padStart(16, '0'),
    receivedAt: '2024-05-14T10:00:01Z',
  };
}

export const alerts = (n: number, summary?: (i: number) => string): Alert[] =>
  Array.from({ length: n }, (_, i) => alert(i, summary?.(i)));

/** One line per alert, like a simple text template. */
export function renderLines(list: readonly Alert[]): Rendered {
  return {
    title: `[FIRING:${list.length}]`,
    body: list.map((a) => `${a.labels.alertname}: ${a.annotations.summary}`).join('\n'),
  };
}

export const textMessage = (body: string, title?: string): OutgoingMessage => ({
  kind: 'rendered',
  chunks: [title === undefined ? { body } : { title, body }],
});

export const alertMessage = (list: readonly Alert[], render = renderLines): OutgoingMessage => ({ kind: 'alerts', alerts: list, render });

/** Real `now`, instant sleeps that are recorded (so tests see backoff and Retry-After waits). */
export class RecordingClock implements Clock {
  readonly sleeps: number[] = [];
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.offsetMs += ms;
    return Promise.resolve();
  }
}

/** A limiter that grants immediately and remembers how it was asked. */
export class RecordingLimiter {
  readonly calls: { key: string; limit: number; windowMs: number; maxWaitMs: number | undefined }[] = [];
  acquire(key: string, limit: number, windowMs: number, opts: { maxWaitMs?: number } = {}): Promise<void> {
    this.calls.push({ key, limit, windowMs, maxWaitMs: opts.maxWaitMs });
    return Promise.resolve();
  }
}
