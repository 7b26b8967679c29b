import { CHANNELS, type Channel } from './channels.js';
import { subjects } from './subjects.js';

/**
 * Streams and durable consumers, as plain data. `packages/bus` provisions them idempotently.
 * Designed for nats-server 2.9: one filter subject per consumer.
 */
export interface StreamDefinition {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly retention: 'workqueue' | 'limits';
  readonly storage: 'file' | 'memory';
  /** Bytes; -1 = unlimited. */
  readonly maxBytes: number;
  /** Seconds; 0 = unlimited. */
  readonly maxAgeSeconds: number;
  readonly discard: 'new' | 'old';
  /** Seconds. */
  readonly duplicateWindowSeconds: number;
  readonly maxMsgSize: number;
}

export interface ConsumerDefinition {
  readonly stream: string;
  readonly durable: string;
  readonly filterSubject: string;
  /**
   * Seconds before an un-acked message is redelivered (how long a crashed replica's in-flight work
   * waits). The consume loop keeps slow handlers alive with `working()`, so this can stay short.
   */
  readonly ackWaitSeconds: number;
  /** -1 = unlimited; the runner enforces the retry budget itself. */
  readonly maxDeliver: number;
  readonly maxAckPending: number;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const streams = {
  alerts: {
    name: 'NM_ALERTS',
    subjects: [subjects.alertsAll],
    retention: 'workqueue',
    storage: 'file',
    maxBytes: 1 * GiB,
    maxAgeSeconds: 0,
    discard: 'new',
    duplicateWindowSeconds: 120,
    maxMsgSize: 1 * MiB,
  },
  notify: {
    name: 'NM_NOTIFY',
    subjects: [subjects.notifyAll],
    retention: 'workqueue',
    storage: 'file',
    maxBytes: 1 * GiB,
    maxAgeSeconds: 0,
    discard: 'new',
    duplicateWindowSeconds: 600,
    maxMsgSize: 1 * MiB,
  },
  history: {
    name: 'NM_HISTORY',
    subjects: [subjects.historyAll],
    retention: 'limits',
    storage: 'file',
    maxBytes: 2 * GiB,
    maxAgeSeconds: 30 * 24 * 3600,
    discard: 'old',
    duplicateWindowSeconds: 120,
    maxMsgSize: 1 * MiB,
  },
  dlq: {
    name: 'NM_DLQ',
    subjects: [subjects.dlqAll],
    retention: 'limits',
    storage: 'file',
    maxBytes: 1 * GiB,
    maxAgeSeconds: 14 * 24 * 3600,
    discard: 'old',
    duplicateWindowSeconds: 120,
    maxMsgSize: 1 * MiB,
  },
} as const satisfies Record<string, StreamDefinition>;

export const consumers = {
  silencer: {
    stream: streams.alerts.name,
    durable: 'silencer',
    filterSubject: subjects.alertsIngested,
    ackWaitSeconds: 10,
    maxDeliver: -1,
    maxAckPending: 1000,
  },
  router: {
    stream: streams.alerts.name,
    durable: 'router',
    filterSubject: subjects.alertsAdmitted,
    ackWaitSeconds: 10,
    maxDeliver: -1,
    maxAckPending: 1000,
  },
  /** The aggregator holds messages un-acked until the groups they feed are flushed. */
  aggregator: {
    stream: streams.alerts.name,
    durable: 'aggregator',
    filterSubject: subjects.alertsRouted,
    ackWaitSeconds: 15,
    maxDeliver: -1,
    maxAckPending: 50000,
  },
} as const satisfies Record<string, ConsumerDefinition>;

/** One durable consumer per channel, shared by every replica of that channel's sender. */
export function senderConsumer(channel: Channel): ConsumerDefinition {
  return {
    stream: streams.notify.name,
    durable: `sender-${channel}`,
    filterSubject: subjects.notify(channel),
    ackWaitSeconds: 15,
    maxDeliver: -1,
    maxAckPending: 1000,
  };
}

export const allStreams: readonly StreamDefinition[] = Object.values(streams);
export const allConsumers: readonly ConsumerDefinition[] = [
  ...Object.values(consumers),
  ...CHANNELS.map(senderConsumer),
];
