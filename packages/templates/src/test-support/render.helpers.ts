import type { Channel } from '@nm/contracts';
import type { RenderInput } from '../notification.render.js';
import type { TemplateAlert } from '../view.model.js';

export const FIXED_TIME = new Date('2020-04-17T03:00:00.000Z');

let seq = 0;

/** A firing alert with the given labels and annotations. */
export function alert(labels: Record<string, string>, annotations: Record<string, string> = {}, extra: Partial<TemplateAlert> = {}): TemplateAlert {
  seq += 1;
  return {
    id: `a${seq}`,
    status: 'firing',
    labels,
    annotations,
    startsAt: '2024-07-01T12:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph',
    fingerprint: seq.toString(16).padStart(16, '0'),
    ...extra,
  };
}

/** A render input for one channel with sensible defaults. */
export function input(channel: Channel, alerts: TemplateAlert[], more: Partial<RenderInput> = {}): RenderInput {
  return {
    channel,
    alerts,
    groupLabels: { alertname: alerts[0]?.labels.alertname ?? 'Test' },
    receiver: { name: 'r1', tenant: 'ns1' },
    externalURL: 'http://alertmanager:9093',
    notificationTime: FIXED_TIME,
    ...more,
  };
}
