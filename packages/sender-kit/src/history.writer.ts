/** Publishes a sender's history records to `nm.history.<tenant>.<channel>`, in order. */
import type { Publisher } from '@nm/bus';
import { subjects, type Channel } from '@nm/contracts';
import type { PendingRecord } from './delivered.store.js';

export class HistoryWriter {
  constructor(
    private readonly publisher: Publisher,
    private readonly channel: Channel,
    private readonly onFailure: () => void = () => undefined,
  ) {}

  /**
   * Publishes `records` one after another (message id per notification, unit and attempt, so a
   * retry publishes no duplicate); stops at the first failure. Returns the unit keys JetStream
   * acknowledged and that failure.
   */
  async publish(records: readonly PendingRecord[], traceparent: string): Promise<{ published: string[]; error?: unknown }> {
    const published: string[] = [];
    for (const { key, record } of records) {
      try {
        await this.publisher.publish(subjects.history(record.tenant, this.channel), record, {
          msgId: `hist-${record.notificationId}-${key}-${record.attempt}`,
          traceparent,
        });
        published.push(key);
      } catch (error) {
        this.onFailure();
        return { published, error };
      }
    }
    return { published };
  }
}
