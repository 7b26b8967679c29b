import { PAYLOAD_VERSION, subjects, type Alert, type AlertSource, type IngestedBatch } from '@nm/contracts';
import { encodePayload, type Publisher } from '@nm/bus';

/** What every message of one receipt carries besides its alerts. */
export interface IngestedHeader {
  /** The receipt id: the batch id, and the prefix of the chunks' message ids. */
  batchId: string;
  source: AlertSource;
  receivedAt: string;
  externalURL?: string | undefined;
  upstreamReceiver?: string | undefined;
  upstreamGroupKey?: string | undefined;
}

/** The message id of chunk `index` of a receipt: stable across retries of the same receipt, so JetStream drops a repeat. */
export const ingestedMsgId = (batchId: string, index: number): string => `${batchId}-${index}`;

/** The `nm.alerts.ingested` messages of one receipt, one per chunk. */
export function ingestedMessages(header: IngestedHeader, chunks: readonly Alert[][]): IngestedBatch[] {
  return chunks.map((alerts, index) => ({
    version: PAYLOAD_VERSION,
    batchId: header.batchId,
    chunk: { index, count: chunks.length },
    source: header.source,
    receivedAt: header.receivedAt,
    ...(header.externalURL ? { externalURL: header.externalURL } : {}),
    ...(header.upstreamReceiver ? { upstreamReceiver: header.upstreamReceiver } : {}),
    ...(header.upstreamGroupKey ? { upstreamGroupKey: header.upstreamGroupKey } : {}),
    alerts,
  }));
}

/**
 * The JSON of an ingested message whose alerts array is already serialised (`alertsJson`):
 * byte for byte what serialising the message gives (`alerts` is its last key), without serialising
 * every alert again.
 */
export function encodeIngested(msg: IngestedBatch, alertsJson: string): Uint8Array {
  const head = JSON.stringify({ ...msg, alerts: [] });
  if (!head.endsWith('"alerts":[]}')) return encodePayload(msg);
  return Buffer.from(`${head.slice(0, -3)}${alertsJson}}`, 'utf8');
}

/**
 * Publishes a receipt's chunks to `nm.alerts.ingested` (message id `<batchId>-<chunk>`) and
 * resolves once JetStream acknowledged every one, with the highest stream sequence it gave them;
 * rejects with the first failure (the caller answers 503 or retries: chunks already stored are
 * dropped as duplicates on a retry within the stream's duplicate window). `alertsJson`: each
 * chunk's alerts array as JSON, when the caller has it (`chunkAlerts`).
 */
export function publishIngested(
  publisher: Publisher,
  header: IngestedHeader,
  chunks: readonly Alert[][],
  opts: { traceparent?: string; alertsJson?: readonly string[] } = {},
): Promise<number> {
  // not an async function: no suspended frame keeps the chunks while JetStream acknowledges them
  try {
    const messages = ingestedMessages(header, chunks);
    return Promise.all(
      messages.map((msg, index) => {
        const json = opts.alertsJson?.[index];
        return publisher.publish(subjects.alertsIngested, msg, {
          msgId: ingestedMsgId(header.batchId, index),
          alertCount: msg.alerts.length,
          ...(json !== undefined ? { encoded: encodeIngested(msg, json) } : {}),
          ...(opts.traceparent ? { traceparent: opts.traceparent } : {}),
        });
      }),
    ).then((results) => results.reduce((top, r) => Math.max(top, r.seq), 0));
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
