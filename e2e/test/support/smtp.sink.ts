import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

/** `openssl req -x509` for CN=localhost (and 127.0.0.1), valid one day. */
export function selfSignedCert(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nm-e2e-cert-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface SmtpSink {
  readonly port: number;
  /** Every accepted message: the authenticated user, whether the session was encrypted, the raw message. */
  readonly received: Array<{ user: unknown; secure: boolean; raw: string }>;
  /** Every AUTH attempt with the password the client sent. */
  readonly logins: Array<{ username: string; password: string | undefined; secure: boolean }>;
  close(): Promise<void>;
}

/** A real SMTP server on 127.0.0.1 offering STARTTLS and PLAIN/LOGIN for one user. */
export async function startSmtpSink(tls: { cert: string; key: string }, user: string, password: string): Promise<SmtpSink> {
  const received: SmtpSink['received'] = [];
  const logins: SmtpSink['logins'] = [];
  const server = new SMTPServer({
    secure: false,
    key: tls.key,
    cert: tls.cert,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, session, callback) {
      logins.push({ username: auth.username ?? '', password: auth.password ?? undefined, secure: session.secure });
      if (auth.username !== user || auth.password !== password) return callback(new Error('Invalid username or password'));
      return callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const parts: Buffer[] = [];
      stream.on('data', (d: Buffer) => parts.push(d));
      stream.on('end', () => {
        received.push({ user: session.user, secure: session.secure, raw: Buffer.concat(parts).toString('utf8') });
        callback(null, 'queued');
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return { port, received, logins, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
