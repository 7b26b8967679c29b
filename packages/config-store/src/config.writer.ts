import type { Redis } from 'ioredis';
import { keys, type StoredKind } from './layout.js';
import type { SecretBox } from './secret.crypto.js';

export interface StoredObject {
  kind: StoredKind;
  name: string;
  namespace?: string | undefined;
  body: unknown;
}

export interface StoredSecret {
  namespace: string;
  name: string;
  data: Record<string, string>;
}

export interface StoredProblems {
  source: string;
  kind: string;
  name: string;
  problems: unknown[];
}

export interface ConfigContent {
  objects: StoredObject[];
  secrets: StoredSecret[];
  problems: StoredProblems[];
}

export function objectField(o: Pick<StoredObject, 'kind' | 'name' | 'namespace'>): string {
  return o.namespace ? `${o.kind}/${o.namespace}/${o.name}` : `${o.kind}/${o.name}`;
}

/**
 * Writes a complete configuration atomically (MULTI) and announces the new revision. Object
 * bodies and Secret data are sealed with the SecretBox (a Receiver's webhook URL and headers, a
 * Config's credentials are in its body); field names (`<Kind>/<name>`) stay readable. The digest
 * that detects "nothing changed" is an HMAC keyed by the current key, so after a key rotation the
 * first write re-encrypts everything with the new key.
 */
export class ConfigStoreWriter {
  constructor(
    private readonly redis: Redis,
    private readonly box: SecretBox,
  ) {}

  /** False when Redis holds no mirrored configuration (e.g. it restarted without persistence). */
  async hasContent(): Promise<boolean> {
    return (await this.redis.exists(keys.revision)) === 1;
  }

  /** Replaces everything; a no-op (returns the current revision) when the content did not change. */
  async replaceAll(content: ConfigContent): Promise<{ revision: number; changed: boolean }> {
    const sorted = {
      objects: [...content.objects].sort((a, b) => objectField(a).localeCompare(objectField(b))),
      secrets: [...content.secrets].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)),
      problems: content.problems,
    };
    const digest = this.box.keyId(JSON.stringify(sorted));
    const digestKey = `${keys.revision}:digest`;
    const [current, rev] = await this.redis.mget(digestKey, keys.revision);
    if (current === digest && rev) return { revision: Number(rev), changed: false };

    const tx = this.redis.multi();
    tx.del(keys.objects, keys.secrets, keys.problems);
    for (const o of sorted.objects) tx.hset(keys.objects, objectField(o), this.box.seal(JSON.stringify(o.body)));
    for (const s of sorted.secrets) tx.hset(keys.secrets, `${s.namespace}/${s.name}`, this.box.seal(JSON.stringify(s.data)));
    for (const p of content.problems) tx.hset(keys.problems, `${p.source}#${p.kind}/${p.name}`, JSON.stringify(p.problems));
    tx.set(digestKey, digest);
    tx.incr(keys.revision);
    const res = await tx.exec();
    const incr = res?.[res.length - 1];
    if (!incr || incr[0]) throw new Error(`config write failed: ${String(incr?.[0] ?? 'transaction aborted')}`);
    const revision = Number(incr[1]);
    await this.redis.publish(keys.changed, String(revision));
    return { revision, changed: true };
  }
}
