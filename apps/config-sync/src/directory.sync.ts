import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Channel } from '@nm/contracts';
import { loadManifests, type LoadedObject } from '@nm/manifests';
import type { ConfigStoreWriter } from '@nm/config-store';
import type { Logger, Metrics } from '@nm/telemetry';
import { ConfigMirror } from './config.mirror.js';
import type { ClusterNameSource } from './cluster.name.js';

export { toContent } from './config.content.js';

async function signature(dir: string): Promise<string> {
  const parts: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else {
        const s = await stat(p).catch(() => undefined);
        if (s) parts.push(`${p}:${s.size}:${s.mtimeMs}`);
      }
    }
  };
  await walk(dir);
  return parts.join('|');
}

/**
 * Directory mode: loads every manifest under `dir`, rejects invalid objects (log + metric +
 * problems in Redis) while applying the rest, mirrors the result into Redis through
 * {@link ConfigMirror}, and reloads when a file changes (polled every `pollMs`) or when Redis lost
 * the configuration.
 */
export class DirectorySync {
  private timer: NodeJS.Timeout | undefined;
  private lastSignature = '';
  private running: Promise<void> | undefined;
  private readonly mirror: ConfigMirror;

  constructor(
    private readonly dir: string,
    writer: ConfigStoreWriter,
    private readonly logger: Logger,
    metrics: Metrics,
    private readonly pollMs = 1000,
    /** Called after every successful sync with the mirrored revision and the valid objects. */
    onMirrored?: (revision: number, objects: readonly LoadedObject[]) => void,
    /** The cluster name recorded on the NotificationManager (`NM_CLUSTER_NAME`). */
    clusterName?: ClusterNameSource,
    /** Channels with a sender service (default `SENDER_CHANNELS`). */
    senderChannels?: readonly Channel[],
  ) {
    this.mirror = new ConfigMirror(writer, logger, metrics, onMirrored, clusterName, senderChannels);
  }

  async start(): Promise<void> {
    await this.syncNow(true);
    this.timer = setInterval(() => void this.syncNow(false), this.pollMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  syncNow(force: boolean): Promise<void> {
    this.running ??= this.sync(force).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async sync(force: boolean): Promise<void> {
    let sig: string;
    let manifests;
    try {
      sig = await signature(this.dir);
      // Re-mirror when the files changed, or when Redis lost the configuration (a restart
      // without persistence, a flush): readers keep their last snapshot meanwhile.
      if (!force && sig === this.lastSignature && (await this.mirror.hasContent())) return;
      manifests = await loadManifests([this.dir]);
    } catch (err) {
      this.mirror.failed();
      this.logger.error({ err: (err as Error).message, dir: this.dir }, 'configuration sync failed; will retry');
      return;
    }
    try {
      await this.mirror.mirror(manifests, { dir: this.dir });
      this.lastSignature = sig;
    } catch (err) {
      this.logger.error({ err: (err as Error).message, dir: this.dir }, 'configuration sync failed; will retry');
    }
  }
}
