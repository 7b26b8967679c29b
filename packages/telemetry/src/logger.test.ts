import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger, lazyChild } from './logger.js';
import { REDACTED, redactLogObject, redactUrl, scrubText, SECRET_KEY_NAMES } from './redact.js';

/** A logger with the services' options writing into memory; `lines()` parses what it wrote. */
function capture() {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger('test', 'trace', stream);
  return { logger, text: () => out.join(''), lines: () => out.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const SECRET = 's3cr3t-VALUE-42';

/** `{a: {b: {…{[key]: value}}}}` nested `depth` levels down. */
const nest = (depth: number, key: string, value: unknown): Record<string, unknown> => {
  let o: Record<string, unknown> = { [key]: value };
  for (let i = 0; i < depth; i++) o = { [`level${i}`]: o };
  return o;
};

describe('logger redaction', () => {
  // Every name of the list, the names the issue named, and the spellings they come in.
  const keys = [
    ...SECRET_KEY_NAMES,
    'bearerToken',
    'appSecret',
    'app_secret',
    'AppSecret',
    'clientSecret',
    'accessToken',
    'access_token',
    'tenant_access_token',
    'refreshToken',
    'smtpPassword',
    'Authorization',
    'X-Api-Key',
    'secretKey',
    'NM_SECRET_KEY',
    'privateKey',
  ];
  it.each(keys.flatMap((k) => [0, 1, 2, 5].map((d) => [k, d] as const)))('%s at depth %i is redacted', (key, depth) => {
    const c = capture();
    c.logger.info(nest(depth, key, SECRET), 'line');
    expect(c.text()).not.toContain(SECRET);
    expect(c.text()).toContain(REDACTED);
  });

  it('redacts objects under a secret key whole, and keys inside arrays', () => {
    const c = capture();
    c.logger.warn({ receivers: [{ name: 'a', webhook: { url: `https://h/${SECRET}` } }, { name: 'b', credentials: { user: SECRET } }] }, 'x');
    expect(c.text()).not.toContain(SECRET);
    const line = c.lines()[0] as { receivers: Array<Record<string, unknown>> };
    expect(line.receivers.map((r) => r['name'])).toEqual(['a', 'b']);
  });

  it('keeps header names and redacts every header value, at any depth', () => {
    const c = capture();
    c.logger.info({ headers: { 'X-Custom': SECRET, authorization: `Bearer ${SECRET}` }, req: { options: { headers: { cookie: SECRET } } } }, 'x');
    expect(c.text()).not.toContain(SECRET);
    const line = c.lines()[0] as { headers: Record<string, string>; req: { options: { headers: Record<string, string> } } };
    expect(line.headers).toEqual({ 'X-Custom': REDACTED, authorization: REDACTED });
    expect(line.req.options.headers).toEqual({ cookie: REDACTED });
  });

  it('logs URLs without credentials, path or query, at any depth and in lists', () => {
    const c = capture();
    c.logger.info(
      {
        url: `nats://nm:${SECRET}@127.0.0.1:4222,nats://nm:${SECRET}@127.0.0.2:4222`,
        target: { webhookUrl: `https://hooks.slack.com/services/T0/B0/${SECRET}`, redisUrl: `redis://:${SECRET}@redis:6379/0` },
        urls: [`https://oapi.dingtalk.com/robot/send?access_token=${SECRET}`],
      },
      'x',
    );
    expect(c.text()).not.toContain(SECRET);
    const line = c.lines()[0] as { url: string; target: Record<string, string>; urls: string[] };
    expect(line.url).toBe('nats://127.0.0.1:4222,nats://127.0.0.2:4222');
    expect(line.target).toEqual({ webhookUrl: 'https://hooks.slack.com/…', redisUrl: 'redis://redis:6379/…' });
    expect(line.urls).toEqual(['https://oapi.dingtalk.com/…']);
  });

  it('redacts inside errors (an HTTP client error with its request config) and keeps their type and message', () => {
    class HttpError extends Error {
      config = { url: `https://api.example/x?secret=${SECRET}`, headers: { Authorization: `Bearer ${SECRET}` }, appSecret: SECRET };
    }
    const cause = new Error(`connect to redis://user:${SECRET}@10.0.0.1:6379 failed`);
    const err = new HttpError(`request to https://u:${SECRET}@api.example/send?access_token=${SECRET} failed`, { cause });
    const c = capture();
    c.logger.error({ err }, 'send failed');
    expect(c.text()).not.toContain(SECRET);
    const line = c.lines()[0] as { err: { type: string; message: string; stack: string; config: Record<string, unknown> } };
    expect(line.err.type).toBe('HttpError');
    expect(line.err.message).toContain('request to https://api.example/send?access_token=[redacted] failed');
    expect(line.err.message).toContain('connect to redis://10.0.0.1:6379 failed'); // the cause, as pino appends it
    expect(line.err.stack).toContain('request to https://api.example/send');
    expect(line.err.config).toEqual({ url: 'https://api.example/…', headers: { Authorization: REDACTED }, appSecret: REDACTED });
    // the logged object itself is untouched
    expect(err.config.appSecret).toBe(SECRET);
  });

  it('scrubs messages, also the one pino takes from an error logged alone', () => {
    const c = capture();
    c.logger.error(new Error(`dial nats://nm:${SECRET}@h:4222 failed`));
    c.logger.warn(`GET https://x/send?access_token=${SECRET} answered %d`, 500);
    expect(c.text()).not.toContain(SECRET);
    expect(c.lines().map((l) => l['msg'])).toEqual(['dial nats://h:4222 failed', 'GET https://x/send?access_token=[redacted] answered 500']);
  });

  it('redacts child bindings', () => {
    const c = capture();
    const child = c.logger.child({ token: SECRET, url: `nats://a:${SECRET}@h:4222` });
    child.info('x');
    child.child({ component: 'inner', appSecret: SECRET }).info('y');
    expect(c.text()).not.toContain(SECRET);
    expect(c.lines()[0]).toMatchObject({ token: REDACTED, url: 'nats://h:4222' });
    expect(c.lines()[1]).toMatchObject({ token: REDACTED, url: 'nats://h:4222', component: 'inner', appSecret: REDACTED, msg: 'y' });
  });

  it('keeps what is not secret as it was', () => {
    const c = capture();
    const at = new Date('2026-01-01T00:00:00Z');
    c.logger.info({ receiptId: 'r-1', alerts: 3, tenant: 'team-a', nested: { count: 2, list: [1, 'two'] }, at, tokens: 5 }, 'batch accepted');
    expect(c.lines()[0]).toMatchObject({ msg: 'batch accepted', service: 'test', receiptId: 'r-1', alerts: 3, tenant: 'team-a', nested: { count: 2, list: [1, 'two'] }, at: at.toISOString(), tokens: 5 });
  });

  it('survives cycles and very deep objects', () => {
    const a: Record<string, unknown> = { name: 'a', password: SECRET };
    a['self'] = a;
    expect(redactLogObject({ a })).toEqual({ a: { name: 'a', password: REDACTED, self: '[circular]' } });
    const c = capture();
    c.logger.info(nest(40, 'token', SECRET), 'deep');
    expect(c.text()).not.toContain(SECRET);
  });
});

describe('redactUrl / scrubText', () => {
  it.each([
    ['nats://127.0.0.1:4222', 'nats://127.0.0.1:4222'],
    ['nats://user:pw@nats:4222', 'nats://nats:4222'],
    ['nats://token@nats:4222', 'nats://nats:4222'],
    ['redis://:pw@redis:6379', 'redis://redis:6379'],
    ['rediss://default:pw@redis:6380/2', 'rediss://redis:6380/…'],
    ['https://hooks.slack.com/services/T/B/X', 'https://hooks.slack.com/…'],
    ['http://receiver.ns.svc:8080/', 'http://receiver.ns.svc:8080'],
    ['127.0.0.1:4222', '127.0.0.1:4222'],
    ['user:pw@', REDACTED],
  ])('redactUrl(%s) = %s', (input, output) => {
    expect(redactUrl(input)).toBe(output);
  });

  it('removes URL credentials and secret query parameters from free text', () => {
    expect(scrubText('dial nats://u:pw@h:4222 failed; GET https://x/y?a=1&access_token=abc&sign=zz&b=2')).toBe(
      'dial nats://h:4222 failed; GET https://x/y?a=1&access_token=[redacted]&sign=[redacted]&b=2',
    );
    expect(scrubText('plain words')).toBe('plain words');
  });
});

describe('lazyChild', () => {
  it('logs with its bindings (redacted like any child), its own children included, and makes no child while nothing is logged', () => {
    const { logger, lines } = capture();
    const service = logger.child({ service: 'router' });
    let made = 0; // children made of `service` itself (its grandchildren inherit the wrapper too)
    const child = Reflect.get(service, 'child');
    service.child = function (this: typeof service, b: Record<string, unknown>, o?: object) {
      if (this === service) made += 1;
      return child.call(this, b, o);
    } as typeof service.child;
    const counting = service;
    const quiet = lazyChild(counting, { seq: 1, token: SECRET });
    expect(quiet.isLevelEnabled('debug')).toBe(true);
    expect(made).toBe(0);
    const log = lazyChild(counting, { seq: 7, token: SECRET });
    log.info({ n: 1 }, 'hello');
    lazyChild(log, { notification: 'n1' }).warn('deeper');
    log.error('again');
    expect(made).toBe(1);
    expect(lines()).toEqual([
      expect.objectContaining({ service: 'router', seq: 7, token: REDACTED, n: 1, msg: 'hello', level: 'info' }),
      expect.objectContaining({ service: 'router', seq: 7, notification: 'n1', msg: 'deeper', level: 'warn' }),
      expect.objectContaining({ service: 'router', seq: 7, msg: 'again', level: 'error' }),
    ]);
    expect(JSON.stringify(lines())).not.toContain(SECRET);
  });

  it('a call at a level that is off makes no child and writes nothing; a level set on it is its own', () => {
    const out: string[] = [];
    const parent = createLogger('test', 'info', { write: (l: string) => void out.push(l) });
    let made = 0;
    const child = Reflect.get(parent, 'child');
    parent.child = function (this: typeof parent, b: Record<string, unknown>, o?: object) {
      if (this === parent) made += 1;
      return child.call(this, b, o);
    } as typeof parent.child;
    const log = lazyChild(parent, { seq: 2 });
    log.debug('not written');
    log.trace({ a: 1 }, 'nor this');
    expect(made).toBe(0);
    expect(out).toEqual([]);
    log.level = 'debug';
    log.debug('now written');
    expect(parent.level).toBe('info');
    expect(out.map((l) => (JSON.parse(l) as { msg: string; seq: number }).msg)).toEqual(['now written']);
  });
});
