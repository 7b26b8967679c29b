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
  /** Messages; -1 = unlimited. */
  readonly maxMsgs: number;
  /** Messages per subject; -1 = unlimited (NM_NOTIFY: one channel cannot take the whole stream). */
  readonly maxMsgsPerSubject: number;
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
  /** Where a new consumer starts: every stored message (default) or only those published after it was created. */
  readonly deliverPolicy?: 'all' | 'new';
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * One work-queue stream per hop. A stage publishes its output to the next hop's stream before it
 * acks its input, so with one shared stream a full stream would deadlock every stage; with a stream
 * per hop a full hop only stops the stage before it, while the stage after it keeps draining.
 * Ingest answers 503 above a high-water mark of the first one (`NM_INGEST_HIGH_WATER`).
 */
const alertHop = (name: string, subject: string): StreamDefinition => ({
  name,
  subjects: [subject],
  retention: 'workqueue',
  storage: 'file',
  maxBytes: 1 * GiB,
  maxMsgs: -1,
  maxMsgsPerSubject: -1,
  maxAgeSeconds: 0,
  discard: 'new',
  duplicateWindowSeconds: 120,
  maxMsgSize: 1 * MiB,
});

export const streams = {
  ingested: alertHop('NM_INGESTED', subjects.alertsIngested),
  admitted: alertHop('NM_ADMITTED', subjects.alertsAdmitted),
  routed: alertHop('NM_ROUTED', subjects.alertsRouted),
  notify: {
    name: 'NM_NOTIFY',
    subjects: [subjects.notifyAll],
    retention: 'workqueue',
    storage: 'file',
    maxBytes: 2 * GiB,
    maxMsgs: -1,
    maxMsgsPerSubject: 200_000,
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
    maxMsgs: -1,
    maxMsgsPerSubject: -1,
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
    maxMsgs: -1,
    maxMsgsPerSubject: -1,
    maxAgeSeconds: 14 * 24 * 3600,
    discard: 'old',
    duplicateWindowSeconds: 120,
    maxMsgSize: 1 * MiB,
  },
} as const satisfies Record<string, StreamDefinition>;
export type StreamKey = keyof typeof streams;

/** Streams of earlier layouts that provisioning removes once they are empty. */
export const LEGACY_STREAMS = ['NM_ALERTS'] as const;

/**
 * Stream limits from the environment: `NM_STREAM_<KEY>_MAX_BYTES` and `NM_STREAM_<KEY>_MAX_MSGS`
 * (KEY = INGESTED, ADMITTED, ROUTED, NOTIFY, HISTORY, DLQ). Every service provisions the streams,
 * so every service must see the same values. Throws one line naming a bad variable.
 */
export function streamsFromEnv(env: Record<string, string | undefined>): StreamDefinition[] {
  return (Object.keys(streams) as StreamKey[]).map((key) => {
    const def: StreamDefinition = streams[key];
    const read = (suffix: 'MAX_BYTES' | 'MAX_MSGS'): number | undefined => {
      const name = `NM_STREAM_${key.toUpperCase()}_${suffix}`;
      const raw = env[name];
      if (raw === undefined || raw === '') return undefined;
      const n = Number(raw);
      if (!Number.isInteger(n) || (n < 1 && n !== -1)) throw new Error(`${name}: must be a positive integer or -1, got ${JSON.stringify(raw)}`);
      return n;
    };
    const maxBytes = read('MAX_BYTES');
    const maxMsgs = read('MAX_MSGS');
    return { ...def, ...(maxBytes === undefined ? {} : { maxBytes }), ...(maxMsgs === undefined ? {} : { maxMsgs }) };
  });
}

export const consumers = {
  /**
   * In the single process the silencer's and router's handlers may hand their output to the
   * aggregator on the same thread (inline hops): their messages are then held like the
   * aggregator's, hence the same bound. A silencer or router of its own holds only its concurrency.
   */
  silencer: {
    stream: streams.ingested.name,
    durable: 'silencer',
    filterSubject: subjects.alertsIngested,
    ackWaitSeconds: 10,
    maxDeliver: -1,
    maxAckPending: 50000,
  },
  router: {
    stream: streams.admitted.name,
    durable: 'router',
    filterSubject: subjects.alertsAdmitted,
    ackWaitSeconds: 10,
    maxDeliver: -1,
    maxAckPending: 50000,
  },
  /** The aggregator holds messages un-acked until the groups they feed are flushed. */
  aggregator: {
    stream: streams.routed.name,
    durable: 'aggregator',
    filterSubject: subjects.alertsRouted,
    ackWaitSeconds: 15,
    maxDeliver: -1,
    maxAckPending: 50000,
  },
  /**
   * Posts the alerts of delivery records to `NotificationManager.spec.history.webhook` (run by
   * sender-webhook). Starts at the records published after it was created, not 30 days back.
   */
  historyWebhook: {
    stream: streams.history.name,
    durable: 'history-webhook',
    filterSubject: subjects.historyAll,
    ackWaitSeconds: 15,
    maxDeliver: -1,
    maxAckPending: 1000,
    deliverPolicy: 'new',
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
