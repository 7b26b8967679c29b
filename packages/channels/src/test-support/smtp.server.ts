/** A real SMTP server (smtp-server) with STARTTLS on a certificate made by openssl at test time. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerAuthenticationMethod, type SMTPServerOptions } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface SelfSignedCert {
  cert: string;
  key: string;
}

/** `openssl req -x509` for CN=localhost with SANs for localhost and 127.0.0.1, valid one day. */
export function selfSignedCert(): SelfSignedCert {
  const dir = mkdtempSync(join(tmpdir(), 'nm-smtp-cert-'));
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

export interface ReceivedMail {
  envelopeTo: string[];
  secure: boolean;
  user: unknown;
  authzid: string | undefined;
  clientHostname: string;
  mail: ParsedMail;
}

export interface SmtpSink {
  port: number;
  received: ReceivedMail[];
  /** Usernames of every AUTH the server saw, and whether the connection was encrypted then. */
  auths: { user: string | undefined; secure: boolean }[];
  close(): Promise<void>;
}

export interface SmtpSinkOptions {
  tls: SelfSignedCert;
  users?: Record<string, string>;
  authMethods?: SMTPServerAuthenticationMethod[];
  /** Answer RCPT TO for an address with this SMTP code (e.g. 451, 550). */
  rcptCodes?: Record<string, number>;
  /** Answer DATA with this code, once per entry. */
  dataCodes?: number[];
  /** Offer no STARTTLS (and accept AUTH in clear), like a misconfigured or downgraded server. */
  noStartTls?: boolean;
}

export async function startSmtpSink(opts: SmtpSinkOptions): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const auths: SmtpSink['auths'] = [];
  const users = opts.users ?? { 'alert@example.com': 'pa55' };
  const authzids = new WeakMap<object, string | undefined>();
  const serverOpts: SMTPServerOptions = {
    secure: false,
    key: opts.tls.key,
    cert: opts.tls.cert,
    authMethods: opts.authMethods ?? ['PLAIN', 'LOGIN', 'CRAM-MD5'],
    logger: false,
    ...(opts.noStartTls ? { disabledCommands: ['STARTTLS'], allowInsecureAuth: true } : {}),
    onAuth(auth, session, callback) {
      auths.push({ user: auth.username, secure: session.secure });
      const expected = auth.username ? users[auth.username] : undefined;
      const ok = expected !== undefined && (auth.method === 'CRAM-MD5' ? auth.validatePassword(expected) : auth.password === expected);
      if (!ok) return callback(new Error('Invalid username or password'));
      authzids.set(session, auth.authzid);
      return callback(null, { user: auth.username });
    },
    onRcptTo(address, _session, callback) {
      const code = opts.rcptCodes?.[address.address];
      if (code) return callback(Object.assign(new Error(`mailbox ${address.address} unavailable`), { responseCode: code }));
      return callback();
    },
    onData(stream, session, callback) {
      const parts: Buffer[] = [];
      stream.on('data', (d: Buffer) => parts.push(d));
      stream.on('end', () => {
        const code = opts.dataCodes?.shift();
        if (code) return callback(Object.assign(new Error('try again later'), { responseCode: code }));
        simpleParser(Buffer.concat(parts))
          .then((mail) => {
            received.push({
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              secure: session.secure,
              user: session.user,
              authzid: authzids.get(session),
              clientHostname: session.hostNameAppearsAs,
              mail,
            });
            callback(null, 'queued as test');
          })
          .catch((e: unknown) => callback(e instanceof Error ? e : new Error(String(e))));
      });
    },
  };
  const server = new SMTPServer(serverOpts);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return { port, received, auths, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
