import type { Redis } from 'ioredis';
import { ZERO_TIME, type Alert } from '@nm/contracts';
import { sourceKeys, targetKeys, type InhibitRule } from '@nm/model';

const PREFIX = 'nm:inhibit:';

/**
 * Firing inhibition sources, shared by every silencer replica and kept across restarts (Redis).
 * Layout: hash `nm:inhibit:<rule>:<equalKey>`, field = source fingerprint, value = `<bothSides>|<untilMs>`.
 * A firing source counts until its `endsAt` (a Prometheus lease) or, when it has none (Alertmanager
 * webhook alerts), for `sourceTtlMs` after it was last seen; a resolved source is removed at once.
 */
export class InhibitionStore {
  constructor(
    private readonly redis: Redis,
    private readonly sourceTtlMs: number,
  ) {}

  /** Records firing sources and removes resolved ones. */
  async recordSources(alerts: readonly Alert[], rules: readonly InhibitRule[], now: number): Promise<void> {
    if (rules.length === 0) return;
    const tx = this.redis.multi();
    let ops = 0;
    for (const a of alerts) {
      for (const k of sourceKeys(a, rules)) {
        const key = `${PREFIX}${k.rule}:${k.key}`;
        if (a.status === 'resolved') {
          tx.hdel(key, a.fingerprint);
        } else {
          const ends = a.endsAt && a.endsAt !== ZERO_TIME ? Date.parse(a.endsAt) : NaN;
          const until = Number.isFinite(ends) && ends > now ? ends : now + this.sourceTtlMs;
          tx.hset(key, a.fingerprint, `${k.bothSides ? 1 : 0}|${until}`);
          tx.pexpire(key, Math.max(until - now, this.sourceTtlMs) * 2);
        }
        ops++;
      }
    }
    if (ops > 0) await tx.exec();
  }

  /** For each alert, the names of the rules that inhibit it (empty when none). */
  async inhibitedBy(alerts: readonly Alert[], rules: readonly InhibitRule[], now: number): Promise<string[][]> {
    const result: string[][] = alerts.map(() => []);
    if (rules.length === 0) return result;
    const lookups: Array<{ i: number; rule: string; key: string; bothSides: boolean; fp: string }> = [];
    alerts.forEach((a, i) => {
      if (a.status === 'resolved') return; // resolved notifications are never held back
      for (const k of targetKeys(a, rules)) lookups.push({ i, rule: k.rule, key: `${PREFIX}${k.rule}:${k.key}`, bothSides: k.bothSides, fp: a.fingerprint });
    });
    if (lookups.length === 0) return result;
    const pipe = this.redis.pipeline();
    for (const l of lookups) pipe.hgetall(l.key);
    const replies = (await pipe.exec()) ?? [];
    lookups.forEach((l, j) => {
      const sources = (replies[j]?.[1] ?? {}) as Record<string, string>;
      const inhibits = Object.entries(sources).some(([fp, v]) => {
        const [both, until] = v.split('|');
        if (Number(until) <= now) return false;
        if (fp === l.fp) return false;
        return !(l.bothSides && both === '1');
      });
      if (inhibits && !result[l.i]!.includes(l.rule)) result[l.i]!.push(l.rule);
    });
    return result;
  }
}
