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
 * The JSON of an ingested message whose alerts are already serialised (`texts`, in order):
 * byte for byte what serialising the message gives (`alerts` is its last key), without
 * serialising every alert again.
 */
export function encodeIngested(msg: IngestedBatch, texts: readonly string[]): Uint8Array {
  const head = JSON.stringify({ ...msg, alerts: [] });
  if (texts.length !== msg.alerts.length || !head.endsWith('"alerts":[]}')) return encodePayload(msg);
  return Buffer.from(`${head.slice(0, -2)}${texts.join(',')}]}`, 'utf8');
}

/**
 * Publishes a receipt's chunks to `nm.alerts.ingested` (message id `<batchId>-<chunk>`) and
 * resolves once JetStream acknowledged every one; rejects with the first failure (the caller
 * answers 503 or retries: chunks already stored are dropped as duplicates on a retry within the
 * stream's duplicate window). `texts`: the alerts' JSON per chunk, when the caller has it
 * (`chunkAlerts`).
 */
export async function publishIngested(
  publisher: Publisher,
  header: IngestedHeader,
  chunks: readonly Alert[][],
  opts: { traceparent?: string; texts?: readonly (readonly string[])[] } = {},
): Promise<void> {
  const messages = ingestedMessages(header, chunks);
  await Promise.all(
    messages.map((msg, index) => {
      const texts = opts.texts?.[index];
      return publisher.publish(subjects.alertsIngested, msg, {
        msgId: ingestedMsgId(header.batchId, index),
        ...(texts ? { encoded: encodeIngested(msg, texts) } : {}),
        ...(opts.traceparent ? { traceparent: opts.traceparent } : {}),
      });
    }),
  );
}
