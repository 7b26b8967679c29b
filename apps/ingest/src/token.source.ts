import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { Logger } from '@nm/telemetry';

/** How often watched files (token lists, TLS certificates) are checked for changes, ms. */
export const DEFAULT_FILE_POLL_MS = 1000;

/**
 * Calls `onChange` whenever one of `paths` changes (modification time, size or inode: an edit, or
 * the symlink swap of a Kubernetes Secret volume). Polls with `stat`, so it needs no inotify and
 * sees files on any volume. The first check is after `intervalMs`.
 */
export function watchFiles(paths: readonly string[], onChange: () => void | Promise<void>, intervalMs = DEFAULT_FILE_POLL_MS): { stop(): void } {
  const signature = async (): Promise<string> =>
    (
      await Promise.all(
        paths.map(async (p) => {
          try {
            const s = await stat(p);
            return `${s.mtimeMs}:${s.size}:${s.ino}`;
          } catch {
            return 'missing';
          }
        }),
      )
    ).join('|');
  let last: Promise<string> = signature();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      try {
        const before = await last;
        const now = await signature();
        last = Promise.resolve(now);
        if (now !== before) await onChange();
      } finally {
        busy = false;
      }
    })();
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** Problems in a token list; names a position, never a token. */
export class TokenListError extends Error {}

/**
 * Entries of a token list: tokens separated by commas, spaces or newlines; a line starting with
 * `#` is a comment. With `withTenant`, each entry is `<tenant>=<token>` (split at the first `=`).
 */
export function parseTokenList(text: string, source: string, withTenant = false): Array<{ token: string; tenant?: string }> {
  const out: Array<{ token: string; tenant?: string }> = [];
  let n = 0;
  for (const line of text.split(/\r?\n/)) {
    if (line.trimStart().startsWith('#')) continue;
    for (const part of line.split(/[\s,]+/)) {
      if (part === '') continue;
      n += 1;
      if (!withTenant) {
        out.push({ token: part });
        continue;
      }
      const eq = part.indexOf('=');
      if (eq <= 0 || eq === part.length - 1) throw new TokenListError(`${source}: entry ${n} must be <tenant>=<token>`);
      out.push({ tenant: part.slice(0, eq), token: part.slice(eq + 1) });
    }
  }
  return out;
}

export interface TokenTableOptions {
  /** Name for messages: the environment variable(s) the tokens come from. */
  name: string;
  tokens?: ReadonlyArray<{ token: string; tenant?: string }>;
  /** A file of more entries (same syntax), re-read when it changes. */
  file?: string;
  withTenant?: boolean;
  pollMs?: number;
  logger?: Logger;
}

export interface TokenMatch {
  /** The tenant of a `<tenant>=<token>` entry. */
  tenant?: string;
}

/**
 * A set of bearer tokens (from a list and/or a file re-read on change). Stores SHA-256 digests
 * only and compares in constant time: every entry is compared, whatever matched.
 */
export class TokenTable {
  private entries: Array<{ digest: Buffer; tenant?: string }> = [];
  private readonly fixed: Array<{ digest: Buffer; tenant?: string }>;
  private watcher?: { stop(): void };

  private constructor(private readonly opts: TokenTableOptions) {
    this.fixed = (opts.tokens ?? []).map((e) => ({ digest: digest(e.token), ...(e.tenant !== undefined ? { tenant: e.tenant } : {}) }));
    this.entries = this.fixed;
  }

  /** Reads the file (if any; unreadable at start is an error) and starts watching it. */
  static async open(opts: TokenTableOptions): Promise<TokenTable> {
    const t = new TokenTable(opts);
    if (opts.file) {
      const file = opts.file;
      // watching starts before the first read, so an edit in between is not missed
      t.watcher = watchFiles(
        [file],
        async () => {
          try {
            await t.reload();
            opts.logger?.info({ file, entries: t.size }, `${opts.name}: token file re-read`);
          } catch (err) {
            opts.logger?.warn({ file, err: (err as Error).message }, `${opts.name}: token file unreadable, the previous tokens stay in force`);
          }
        },
        opts.pollMs,
      );
      try {
        await t.reload();
      } catch (err) {
        t.close();
        throw err;
      }
    }
    return t;
  }

  private async reload(): Promise<void> {
    const file = this.opts.file!;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new TokenListError(`${this.opts.name}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const fromFile = parseTokenList(text, file, this.opts.withTenant).map((e) => ({ digest: digest(e.token), ...(e.tenant !== undefined ? { tenant: e.tenant } : {}) }));
    this.entries = [...this.fixed, ...fromFile];
  }

  /** Number of tokens in force. */
  get size(): number {
    return this.entries.length;
  }

  /** The entry `token` matches, or undefined. Constant time in the token's content. */
  match(token: string): TokenMatch | undefined {
    const d = digest(token);
    let found: TokenMatch | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(d, e.digest) && found === undefined) found = e.tenant !== undefined ? { tenant: e.tenant } : {};
    }
    return found;
  }

  close(): void {
    this.watcher?.stop();
  }
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
