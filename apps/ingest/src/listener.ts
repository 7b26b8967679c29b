import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@nm/telemetry';
import { DEFAULT_FILE_POLL_MS, watchFiles } from './token.source.js';

/** TLS of a listener (PEM files, re-read when they change, e.g. renewed by cert-manager). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** Client certificates must be signed by this CA (mTLS); connections without one are refused. */
  clientCaFile?: string;
}

export interface Listener {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

async function secureContext(tls: TlsFiles): Promise<{ cert: Buffer; key: Buffer; ca?: Buffer }> {
  const read = async (what: string, file: string): Promise<Buffer> => {
    try {
      return await readFile(file);
    } catch (err) {
      throw new Error(`cannot read the TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const [cert, key, ca] = await Promise.all([
    read('certificate', tls.certFile),
    read('key', tls.keyFile),
    tls.clientCaFile ? read('client CA', tls.clientCaFile) : Promise.resolve(undefined),
  ]);
  return { cert, key, ...(ca ? { ca } : {}) };
}

/**
 * Listens with plain HTTP, or HTTPS when `tls` is given (with client certificates required when it
 * names a client CA). Certificate files are watched and a change takes effect for new connections.
 */
export async function listen(
  handler: RequestListener,
  opts: { port: number; host: string; tls?: TlsFiles; logger: Logger; name: string; pollMs?: number },
): Promise<Listener> {
  let server: Server;
  let watcher: { stop(): void } | undefined;
  const tls = opts.tls;
  if (tls) {
    const ctx = await secureContext(tls);
    const s = createHttpsServer({ ...ctx, requestCert: !!tls.clientCaFile, rejectUnauthorized: !!tls.clientCaFile, minVersion: 'TLSv1.2' }, handler);
    s.on('tlsClientError', (err) => opts.logger.debug({ err: err.message }, `${opts.name}: TLS handshake failed`));
    watcher = watchFiles(
      [tls.certFile, tls.keyFile, ...(tls.clientCaFile ? [tls.clientCaFile] : [])],
      async () => {
        try {
          s.setSecureContext(await secureContext(tls));
          opts.logger.info({ cert: tls.certFile }, `${opts.name}: TLS certificate re-read`);
        } catch (err) {
          opts.logger.warn({ err: (err as Error).message }, `${opts.name}: TLS files unreadable or invalid, the previous certificate stays in use`);
        }
      },
      opts.pollMs ?? DEFAULT_FILE_POLL_MS,
    );
    server = s;
  } else {
    server = createHttpServer(handler);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: unknown) => {
    watcher?.stop();
    throw err;
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        watcher?.stop();
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
