/** Transport rules of outbound calls: credentials never in clear over SMTP, capped Retry-After. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { PermanentError, RetryableError } from '@nm/errors';
import { DEFAULT_RETRY_AFTER_MAX_MS, classifyHttpError, classifyVendorError, parseRetryAfter, retryAfterMaxFromEnv, setRetryAfterMax } from './channel.errors.js';
import { EmailSender, smtpTransportOptions, type EmailTransportConfig } from './email.sender.js';
import { excerpt } from './http.client.js';
import { RecordingClock, textMessage } from './test-support/fixtures.js';
import { selfSignedCert, startSmtpSink, type SelfSignedCert, type SmtpSink } from './test-support/smtp.server.js';

describe('SMTP credentials and TLS', () => {
  let tls: SelfSignedCert;
  let sink: SmtpSink | undefined;
  const sender = new EmailSender({ clock: new RecordingClock(), timeoutMs: 5000, retry: { attempts: 1 } });
  const config = (port: number, over: Partial<EmailTransportConfig> = {}): EmailTransportConfig => ({
    from: 'alert@example.com',
    smartHost: { host: '127.0.0.1', port },
    authUsername: 'alert@example.com',
    authPassword: 'pa55',
    tls: { rootCA: tls.cert, serverName: 'localhost' },
    ...over,
  });

  beforeAll(() => {
    tls = selfSignedCert();
  });
  afterEach(async () => {
    await sink?.close();
    sink = undefined;
  });

  it('requires STARTTLS when a Config has credentials and says nothing about requireTLS', () => {
    expect(smtpTransportOptions(config(25)).requireTLS).toBe(true);
    expect(smtpTransportOptions(config(25, { requireTLS: false })).requireTLS).toBe(false);
    expect(smtpTransportOptions(config(25, { authUsername: undefined, authPassword: undefined })).requireTLS).toBe(false);
  });

  it('sends no credentials to a server without STARTTLS: a permanent failure, no AUTH seen', async () => {
    sink = await startSmtpSink({ tls, noStartTls: true });
    const res = await sender.send({ config: config(sink.port), to: ['ops@example.com'] }, textMessage('x', 's'));
    expect(res.status).toBe('failed');
    expect(res.outcomes[0]?.error).toBeInstanceOf(PermanentError);
    expect(sink.auths).toEqual([]);
    expect(sink.received).toHaveLength(0);
  });

  it('sends them in clear only with requireTLS: false set explicitly', async () => {
    sink = await startSmtpSink({ tls, noStartTls: true });
    const res = await sender.send({ config: config(sink.port, { requireTLS: false }), to: ['ops@example.com'] }, textMessage('x', 's'));
    expect(res.status).toBe('delivered');
    expect(sink.auths).toEqual([{ user: 'alert@example.com', secure: false }]);
  });

  it('authenticates over STARTTLS by default when the server offers it', async () => {
    sink = await startSmtpSink({ tls });
    const res = await sender.send({ config: config(sink.port), to: ['ops@example.com'] }, textMessage('x', 's'));
    expect(res.status).toBe('delivered');
    expect(sink.auths).toEqual([{ user: 'alert@example.com', secure: true }]);
  });
});

describe('Retry-After cap', () => {
  afterAll(() => setRetryAfterMax(undefined));

  it('reads NM_RETRY_AFTER_MAX as seconds or a duration, and names it when invalid', () => {
    expect(retryAfterMaxFromEnv({})).toBe(DEFAULT_RETRY_AFTER_MAX_MS);
    expect(retryAfterMaxFromEnv({ NM_RETRY_AFTER_MAX: '90' })).toBe(90_000);
    expect(retryAfterMaxFromEnv({ NM_RETRY_AFTER_MAX: '2m' })).toBe(120_000);
    expect(retryAfterMaxFromEnv({ NM_RETRY_AFTER_MAX: '1500ms' })).toBe(1500);
    expect(() => retryAfterMaxFromEnv({ NM_RETRY_AFTER_MAX: 'soon' })).toThrow('NM_RETRY_AFTER_MAX: "soon" is not a duration');
  });

  it('honours a Retry-After up to the cap, in seconds and as an HTTP date, for HTTP and vendor codes', () => {
    setRetryAfterMax(60_000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter('86400', now)).toBe(60_000);
    expect(parseRetryAfter('Fri, 02 Jan 2026 00:00:00 GMT', now)).toBe(60_000);
    const err = classifyHttpError({ status: 429, headers: { 'retry-after': '999999' } }, 'slack', now);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).retryAfterMs).toBe(60_000);
    expect((classifyVendorError('slack', 'ratelimited', '', 3_600_000) as RetryableError).retryAfterMs).toBe(60_000);
    expect((classifyVendorError('wechat', '45009', 'limit') as RetryableError).retryAfterMs).toBe(60_000);
  });
});

describe('answer bodies of failed sends', () => {
  it('keep only a short vendor error code, never the text', () => {
    expect(excerpt('{"errcode":40014,"errmsg":"invalid access_token, hint: [abc]"}')).toBe('errcode 40014');
    expect(excerpt('{"error":"invalid_auth"}')).toBe('error invalid_auth');
    expect(excerpt('{"Code":"x","instance":"i-0abc secret=hunter2"}')).toBe('47-byte answer');
    expect(excerpt('<html>internal admin page: password=hunter2</html>')).toBe('50-byte answer');
    const err = classifyHttpError({ status: 403, detail: 'AccessDenied: arn:aws:iam::123456789012:role/x denied for user { "token": "t" }' }, 'webhook');
    expect(err.message).toMatch(/^webhook answered HTTP 403: \d+-byte detail withheld$/);
    expect(classifyHttpError({ status: 404, detail: 'Unknown Webhook (code 10015)' }, 'discord').message).toBe('discord answered HTTP 404: Unknown Webhook (code 10015)');
    expect(classifyVendorError('dingtalk', 310000, 'keywords not in content').message).toBe('dingtalk error 310000: keywords not in content');
    const leaky = classifyVendorError('dingtalk', 'x'.repeat(100), `internal config: ${'a'.repeat(200)}`);
    expect(leaky.message).toBe('dingtalk error unrecognised: 217-byte detail withheld');
    expect(leaky.code).toBe('dingtalk:unrecognised');
  });
});
