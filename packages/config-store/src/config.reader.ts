import type { Redis } from 'ioredis';
import { emptySnapshot, type ConfigSnapshot } from '@nm/model';
import type { Logger } from '@nm/telemetry';
import { keys } from './layout.js';
import type { SecretBox } from './secret.crypto.js';

/** A stored object body: sealed, or JSON as written before bodies were sealed (read during an upgrade). */
export function openObject(box: SecretBox, stored: string): string {
  return stored.startsWith('{') ? stored : box.open(stored);
}

export type SnapshotListener = (snapshot: ConfigSnapshot) => void;

/**
 * Keeps an in-memory snapshot of the mirrored configuration, reloaded when the revision changes
 * (pub/sub notification, plus a poll as a safety net). The hot path only calls `current()`.
 */
export class ConfigStoreReader {
  private snapshot: ConfigSnapshot = emptySnapshot(0);
  private loaded = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: SnapshotListener[] = [];
  private reloading: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis | undefined,
    private readonly box: SecretBox,
    private readonly logger: Logger,
    private readonly pollMs = 1000,
  ) {}

  current(): ConfigSnapshot {
    return this.snapshot;
  }

  isLoaded(): boolean {
    return this.loaded;
  }

  onChange(listener: SnapshotListener): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    if (this.subscriber) {
      this.subscriber.on('message', (channel: string) => {
        if (channel === keys.changed) void this.refresh();
      });
      await this.subscriber.subscribe(keys.changed).catch((err: unknown) => {
        this.logger.warn({ err: (err as Error).message }, 'config change subscription failed; polling only');
      });
    }
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Reloads when the stored revision differs from the snapshot's. */
  refresh(): Promise<void> {
    this.reloading ??= this.doRefresh().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private async doRefresh(): Promise<void> {
    try {
      const rev = Number((await this.redis.get(keys.revision)) ?? 0);
      if (rev === 0 || (this.loaded && rev === this.snapshot.revision)) return;
      const tx = await this.redis.multi().get(keys.revision).hgetall(keys.objects).hgetall(keys.secrets).exec();
      if (!tx) return;
      const revision = Number(tx[0]?.[1] ?? 0);
      const objects = (tx[1]?.[1] ?? {}) as Record<string, string>;
      const sealed = (tx[2]?.[1] ?? {}) as Record<string, string>;
      const next = emptySnapshot(revision);
      for (const [field, json] of Object.entries(objects)) {
        const kind = field.slice(0, field.indexOf('/'));
        let body: never;
        try {
          body = JSON.parse(openObject(this.box, json)) as never;
        } catch (err) {
          // Not skipped: a Receiver missing from the snapshot would route its alerts nowhere. The
          // previous snapshot stays (and a stage that never loaded one does not consume).
          throw new Error(`stored object ${field} unreadable (written with another NM_SECRET_KEY?): ${(err as Error).message}`);
        }
        switch (kind) {
          case 'NotificationManager':
            next.notificationManager = body;
            break;
          case 'Config':
            next.configs.push(body);
            break;
          case 'Receiver':
            next.receivers.push(body);
            break;
          case 'Router':
            next.routers.push(body);
            break;
          case 'Silence':
            next.silences.push(body);
            break;
          case 'InhibitRule':
            next.inhibitRules.push(body);
            break;
          case 'EventRule':
            (next.eventRules ??= []).push(body);
            break;
          case 'RoleBinding':
            next.roleBindings.push(body);
            break;
          case 'ConfigMap': {
            const cm = body as { metadata: { name: string; namespace?: string }; data?: Record<string, string> };
            next.configMaps[`${cm.metadata.namespace ?? ''}/${cm.metadata.name}`] = cm.data ?? {};
            break;
          }
          default:
            this.logger.warn({ field }, 'unknown object kind in config store, ignored');
        }
      }
      for (const [ref, value] of Object.entries(sealed)) {
        try {
          next.secrets[ref] = JSON.parse(this.box.open(value)) as Record<string, string>;
        } catch (err) {
          this.logger.error({ secret: ref, err: (err as Error).message }, 'secret unreadable, ignored');
        }
      }
      this.snapshot = next;
      const first = !this.loaded;
      this.loaded = true;
      this.logger.info({ revision, objects: Object.keys(objects).length, first }, 'config snapshot loaded');
      for (const l of this.listeners) l(next);
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'config refresh failed; keeping the previous snapshot');
    }
  }
}
