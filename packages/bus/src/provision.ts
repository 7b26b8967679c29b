import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { ConsumerDefinition, StreamDefinition } from '@nm/contracts';

function streamConfig(def: StreamDefinition): Partial<StreamConfig> & { name: string } {
  return {
    name: def.name,
    subjects: [...def.subjects],
    retention: def.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
    storage: def.storage === 'file' ? StorageType.File : StorageType.Memory,
    max_bytes: def.maxBytes,
    max_msgs: def.maxMsgs,
    max_msgs_per_subject: def.maxMsgsPerSubject,
    max_age: nanos(def.maxAgeSeconds * 1000),
    discard: def.discard === 'new' ? DiscardPolicy.New : DiscardPolicy.Old,
    duplicate_window: nanos(def.duplicateWindowSeconds * 1000),
    max_msg_size: def.maxMsgSize,
    num_replicas: 1,
  };
}

function isAlreadyExists(err: unknown): boolean {
  return /already in use|already exists/i.test(String((err as Error)?.message ?? err));
}

/**
 * Removes a stream of an earlier layout whose subjects would overlap the current ones, once it is
 * empty. A legacy stream that still holds messages is left in place with an error naming it: its
 * messages must be drained (by the previous version) or moved before this version can start.
 */
async function removeLegacy(jsm: JetStreamManager, names: readonly string[]): Promise<void> {
  for (const name of names) {
    let messages: number;
    try {
      messages = (await jsm.streams.info(name)).state.messages;
    } catch (err) {
      if (/stream not found/i.test(String((err as Error).message))) continue;
      throw err;
    }
    if (messages > 0)
      throw new Error(`stream ${name} of an earlier layout still holds ${messages} message(s); drain it with the previous version before upgrading`);
    await jsm.streams.delete(name).catch((err: unknown) => {
      if (!/stream not found/i.test(String((err as Error).message))) throw err;
    });
  }
}

/** Creates or updates streams and durable consumers so that they match their definitions. Safe to run concurrently. */
export async function provision(
  jsm: JetStreamManager,
  defs: { streams: readonly StreamDefinition[]; consumers: readonly ConsumerDefinition[]; legacyStreams?: readonly string[] },
): Promise<void> {
  if (defs.legacyStreams) await removeLegacy(jsm, defs.legacyStreams);
  for (const def of defs.streams) {
    const cfg = streamConfig(def);
    try {
      await jsm.streams.info(def.name);
      const { name: _n, retention: _r, storage: _s, ...mutable } = cfg;
      await jsm.streams.update(def.name, mutable);
    } catch (err) {
      if (!/stream not found/i.test(String((err as Error).message))) throw err;
      try {
        await jsm.streams.add(cfg);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
    }
  }
  for (const c of defs.consumers) {
    const cfg = {
      durable_name: c.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: c.deliverPolicy === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
      filter_subject: c.filterSubject,
      ack_wait: nanos(c.ackWaitSeconds * 1000),
      max_deliver: c.maxDeliver,
      max_ack_pending: c.maxAckPending,
    };
    try {
      await jsm.consumers.info(c.stream, c.durable);
      await jsm.consumers.update(c.stream, c.durable, {
        ack_wait: cfg.ack_wait,
        max_deliver: cfg.max_deliver,
        max_ack_pending: cfg.max_ack_pending,
      });
    } catch (err) {
      if (!/consumer not found/i.test(String((err as Error).message))) throw err;
      try {
        await jsm.consumers.add(c.stream, cfg);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
    }
  }
}
