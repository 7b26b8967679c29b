import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { PartialFailureError, PermanentError, RetryableError } from '@nm/errors';
import { failureOf } from './delivery.runner.js';
import { EmailSender, smtpTransportOptions, type EmailTarget, type EmailTransportConfig } from './email.sender.js';
import { RecordingClock, alertMessage, alerts, textMessage } from './test-support/fixtures.js';
import { selfSignedCert, startSmtpSink, type SelfSignedCert, type SmtpSink } from './test-support/smtp.server.js';

describe('EmailSender against a real SMTP server', () => {
  let tls: SelfSignedCert;
  let sink: SmtpSink | undefined;
  const sender = new EmailSender({ clock: new RecordingClock(), timeoutMs: 5000, retry: { attempts: 1 } });
  const config = (port: number, over: Partial<EmailTransportConfig> = {}): EmailTransportConfig => ({
    from: 'Alerts <alert@example.com>',
    smartHost: { host: '127.0.0.1', port },
    hello: 'nm.example.com',
    authUsername: 'alert@example.com',
    authPassword: 'pa55',
    requireTLS: true,
    tls: { rootCA: tls.cert, serverName: 'localhost' },
    ...over,
  });
  const target = (port: number, to: string[], over: Partial<EmailTransportConfig> = {}, format?: 'html' | 'text'): EmailTarget => ({
    config: config(port, over),
    to,
    ...(format ? { format } : {}),
  });

  beforeAll(() => {
    tls = selfSignedCert();
  });
  afterEach(async () => {
    await sink?.close();
    sink = undefined;
  });

  it('in bulk delivery sends one message to every recipient over verified STARTTLS with AUTH, UTF-8 subject and HTML body', async () => {
    sink = await startSmtpSink({ tls });
    const to = ['ops@example.com', 'dba@example.com', '值班@example.com'];
    const res = await sender.send({ ...target(sink.port, to), delivery: 'bulk' }, textMessage('<h1>磁盘已满</h1><p>node-1</p>', '【告警】磁盘已满 node-1'));
    expect(res.status).toBe('delivered');
    expect(sink.received).toHaveLength(1);
    const got = sink.received[0]!;
    expect(got.secure).toBe(true);
    expect(got.user).toBe('alert@example.com');
    expect(got.clientHostname).toBe('nm.example.com');
    expect(got.envelopeTo).toEqual(to);
    expect(got.mail.subject).toBe('【告警】磁盘已满 node-1');
    expect(got.mail.from?.value).toEqual([{ address: 'alert@example.com', name: 'Alerts' }]);
    expect(String(got.mail.html).trim()).toBe('<h1>磁盘已满</h1><p>node-1</p>');
    expect((got.mail.headers.get('content-type') as { value: string }).value).toBe('text/html');
    expect(res.outcomes[0]).toMatchObject({ destination: to.join(', '), upstreamMessageId: got.mail.messageId });
    expect(JSON.stringify(res)).not.toContain('pa55');
  });

  it('sends text bodies, batches recipients in bulk delivery, and uses the PLAIN authorisation identity when configured', async () => {
    sink = await startSmtpSink({ tls, authMethods: ['PLAIN'] });
    const batched = new EmailSender({ batchSize: 2, retry: { attempts: 1 } });
    const to = ['a@example.com', 'b@example.com', 'c@example.com'];
    const res = await batched.send({ ...target(sink.port, to, { authIdentify: 'ops-team' }, 'text'), delivery: 'bulk' }, alertMessage(alerts(2)));
    expect(res.outcomes.map((o) => o.destination)).toEqual(['a@example.com, b@example.com', 'c@example.com']);
    expect(sink.received.map((r) => r.envelopeTo.join(',')).sort()).toEqual(['a@example.com,b@example.com', 'c@example.com']);
    for (const got of sink.received) {
      expect(got.authzid).toBe('ops-team');
      expect(got.mail.text?.trim()).toBe('Alert0: summary 0\nAlert1: summary 1');
      expect(got.mail.html).toBeFalsy();
      expect(got.mail.subject).toBe('[FIRING:2]');
    }
  });

  it('in bulk delivery sends one message per maxEmailReceivers recipients of the target (2 of 5 → 3 messages)', async () => {
    sink = await startSmtpSink({ tls });
    const to = ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com', 'e@example.com'];
    const res = await sender.send({ ...target(sink.port, to), batchSize: 2, delivery: 'bulk' }, textMessage('x', 's'));
    expect(res.status).toBe('delivered');
    expect(res.outcomes.map((o) => o.destination)).toEqual(['a@example.com, b@example.com', 'c@example.com, d@example.com', 'e@example.com']);
    expect(sink.received.map((r) => r.envelopeTo.join(',')).sort()).toEqual(['a@example.com,b@example.com', 'c@example.com,d@example.com', 'e@example.com']);
  });

  it('by default sends each recipient a message of its own: one SMTP session each, To: naming only that recipient', async () => {
    sink = await startSmtpSink({ tls });
    const to = ['ops@example.com', 'dba@example.com', 'oncall@example.com'];
    const res = await sender.send(target(sink.port, [...to, 'ops@example.com']), textMessage('<p>disk full</p>', 'disk full'));
    expect(res.status).toBe('delivered');
    expect(sink.received).toHaveLength(3);
    const byRecipient = sink.received.map((r) => ({ envelope: r.envelopeTo, to: r.mail.to && !Array.isArray(r.mail.to) ? r.mail.to.value.map((a) => a.address) : [] }));
    expect(byRecipient.sort((a, b) => a.envelope[0]!.localeCompare(b.envelope[0]!))).toEqual(
      [...to].sort().map((addr) => ({ envelope: [addr], to: [addr] })),
    );
    // no message lists another recipient anywhere in its headers
    for (const got of sink.received) {
      const headers = JSON.stringify([...got.mail.headers.entries()]);
      expect(headers).toContain(got.envelopeTo[0]!);
      for (const other of to.filter((a) => a !== got.envelopeTo[0])) expect(headers).not.toContain(other);
    }
    expect(res.outcomes.map((o) => [o.destination, o.key]).sort()).toEqual([...to].sort().map((a) => [a, `to:${a}#0/1`]));
  });

  it('a retry sends again only to the recipients that did not get the message', async () => {
    const rcptCodes: Record<string, number> = { 'later@example.com': 451 };
    sink = await startSmtpSink({ tls, rcptCodes });
    const to = ['a@example.com', 'later@example.com', 'b@example.com'];
    const first = await sender.send(target(sink.port, to), textMessage('x', 's'));
    expect(first.status).toBe('partial');
    expect(failureOf(first)).toBeInstanceOf(RetryableError);
    expect(sink.received.map((r) => r.envelopeTo[0]).sort()).toEqual(['a@example.com', 'b@example.com']);
    delete rcptCodes['later@example.com']; // the mailbox accepts mail again
    const deliveredKeys = new Set(first.outcomes.filter((o) => o.status === 'delivered').map((o) => o.key));
    const second = await sender.send(target(sink.port, to), textMessage('x', 's'), { deliveredKeys });
    expect(second.status).toBe('delivered');
    expect(second.outcomes.map((o) => [o.destination, o.status]).sort()).toEqual([
      ['a@example.com', 'duplicate'],
      ['b@example.com', 'duplicate'],
      ['later@example.com', 'delivered'],
    ]);
    // three messages in all: a and b once, later once (after its retry)
    expect(sink.received.map((r) => r.envelopeTo[0]).sort()).toEqual(['a@example.com', 'b@example.com', 'later@example.com']);
  });

  it('gives up on a server that never greets after the target timeoutMs, as a retryable failure', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    try {
      const { port } = silent.address() as AddressInfo;
      const started = Date.now();
      const res = await sender.send({ ...target(port, ['ops@example.com']), timeoutMs: 200 }, textMessage('x', 's'));
      expect(Date.now() - started).toBeLessThan(2000);
      const err = failureOf(res);
      expect(err).toBeInstanceOf(RetryableError);
      expect(err!.code).toMatch(/^smtp:/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('authenticates with CRAM-MD5 using authSecret', async () => {
    sink = await startSmtpSink({ tls, authMethods: ['CRAM-MD5'] });
    const res = await sender.send(target(sink.port, ['ops@example.com'], { authPassword: undefined, authSecret: 'pa55' }), textMessage('x', 's'));
    expect(res.status).toBe('delivered');
    expect(sink.received[0]!.user).toBe('alert@example.com');
  });

  it('treats an AUTH failure as permanent', async () => {
    sink = await startSmtpSink({ tls });
    const res = await sender.send(target(sink.port, ['ops@example.com'], { authPassword: 'wrong' }), textMessage('x', 's'));
    const err = failureOf(res);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err!.code).toBe('smtp:535');
    expect(sink.received).toHaveLength(0);
  });

  it('retries 451 (RCPT or DATA) and not 5xx; a rejected recipient among others is a partial failure', async () => {
    sink = await startSmtpSink({ tls, rcptCodes: { 'later@example.com': 451, 'nobody@example.com': 550 }, dataCodes: [451] });
    const deferred = await sender.send(target(sink.port, ['later@example.com']), textMessage('x', 's'));
    expect(failureOf(deferred)).toBeInstanceOf(RetryableError);
    expect(failureOf(deferred)!.code).toBe('smtp:451');

    const dataDeferred = await sender.send(target(sink.port, ['ops@example.com']), textMessage('x', 's'));
    expect(failureOf(dataDeferred)).toBeInstanceOf(RetryableError);

    const refused = await sender.send(target(sink.port, ['nobody@example.com']), textMessage('x', 's'));
    expect(failureOf(refused)).toBeInstanceOf(PermanentError);
    expect(failureOf(refused)!.code).toBe('smtp:550');

    const partial = await sender.send({ ...target(sink.port, ['ops@example.com', 'nobody@example.com']), delivery: 'bulk' }, textMessage('x', 's'));
    expect(partial.outcomes[0]).toMatchObject({ status: 'partial', invalid: ['nobody@example.com'] });
    expect(failureOf(partial)).toBeInstanceOf(PartialFailureError);
    expect(sink.received.map((r) => r.envelopeTo)).toEqual([['ops@example.com']]);
  });

  it('refuses an untrusted certificate unless configured to trust or skip it', async () => {
    sink = await startSmtpSink({ tls });
    const untrusted = await sender.send(target(sink.port, ['ops@example.com'], { tls: undefined }), textMessage('x', 's'));
    const err = failureOf(untrusted);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err!.code).toBe('smtp:tls');
    expect(sink.received).toHaveLength(0);

    const skipped = await sender.send(target(sink.port, ['ops@example.com'], { tls: { insecureSkipVerify: true } }), textMessage('x', 's'));
    expect(skipped.status).toBe('delivered');
    const trusted = await sender.send(target(sink.port, ['ops@example.com']), textMessage('x', 's'));
    expect(trusted.status).toBe('delivered');
  });

  it('maps the Config to nodemailer: implicit TLS on 465, verification on by default', () => {
    const opts = smtpTransportOptions({ from: 'a@b', smartHost: { host: 'smtp.example.com', port: 465 } });
    expect(opts).toMatchObject({ secure: true, requireTLS: false, tls: { rejectUnauthorized: true, servername: 'smtp.example.com' } });
    expect(opts.auth).toBeUndefined();
    const starttls = smtpTransportOptions({
      from: 'a@b',
      smartHost: { host: '10.0.0.1', port: 587 },
      requireTLS: true,
      tls: { insecureSkipVerify: true, clientCertificate: { cert: 'C', key: 'K' } },
    });
    expect(starttls).toMatchObject({ secure: false, requireTLS: true, tls: { rejectUnauthorized: false, cert: 'C', key: 'K' } });
    expect(starttls.tls).not.toHaveProperty('servername');
  });
});
