import { describe, expect, it } from '@jest/globals';
import { PartialFailureError, PermanentError, RetryableError, classifyError } from '@nm/errors';
import {
  classifyHttpError,
  classifySmtpError,
  classifyVendorError,
  parseRetryAfter,
} from './channel.errors.js';
import { ChannelUrlEnvSchema } from './channel.urls.js';
import { redactUrl } from './http.client.js';

describe('classifyHttpError', () => {
  it.each([
    [500, true],
    [502, true],
    [503, true],
    [408, true],
    [429, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [410, false],
  ])('HTTP %i → retryable %s', (status, retryable) => {
    const e = classifyHttpError({ status }, 'slack');
    expect(e).toBeInstanceOf(retryable ? RetryableError : PermanentError);
    expect(e.code).toBe(`slack:http-${status}`);
  });

  it('honours Retry-After in seconds and as an HTTP date', () => {
    const e = classifyHttpError({ status: 429, headers: { 'retry-after': '30' } }, 'slack');
    expect(e).toBeInstanceOf(RetryableError);
    expect((e as RetryableError).retryAfterMs).toBe(30_000);
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('retries network failures, refuses TLS verification failures, and strips request details', () => {
    const reset = classifyHttpError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', config: { url: 'https://x/?access_token=SECRET' } }));
    expect(reset).toBeInstanceOf(RetryableError);
    expect(reset.code).toBe('http:network-ECONNRESET');
    expect(JSON.stringify(reset.cause)).not.toContain('SECRET');
    expect(String((reset.cause as Error).message)).toBe('socket hang up');
    const tls = classifyHttpError(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }));
    expect(tls).toBeInstanceOf(PermanentError);
  });

  it('passes classified errors through unchanged', () => {
    const e = new PermanentError('x', { code: 'a:b' });
    expect(classifyHttpError(e)).toBe(e);
  });
});

describe('classifyVendorError', () => {
  it.each([
    ['wechat', 45009, true],
    ['wechat', 42001, true],
    ['wechat', 40001, false],
    ['wechat', 81013, false],
    ['dingtalk', 130101, true],
    ['dingtalk', 310000, false],
    ['feishu', 9499, true],
    ['feishu', 11232, true],
    ['feishu', 19021, false],
    ['feishu', 19024, false],
    ['slack', 'ratelimited', true],
    ['slack', 'invalid_auth', false],
    ['slack', 'channel_not_found', false],
    ['slack', 'not_in_channel', false],
  ] as const)('%s %s → retryable %s', (vendor, code, retryable) => {
    const e = classifyVendorError(vendor, code, 'msg');
    expect(e instanceof RetryableError).toBe(retryable);
    expect(e.code).toBe(`${vendor}:${code}`);
  });

  it('asks rate-limited vendors for a pause', () => {
    expect((classifyVendorError('dingtalk', 130101, '') as RetryableError).retryAfterMs).toBe(60_000);
    expect((classifyVendorError('wechat', 45009, '', 5000) as RetryableError).retryAfterMs).toBe(5000);
    expect(classifyVendorError('feishu', 9499, '')).toBeInstanceOf(RetryableError);
  });
});

describe('classifySmtpError', () => {
  it('4xx retries, 5xx and auth failures do not, connection failures retry', () => {
    expect(classifySmtpError({ responseCode: 451, code: 'EENVELOPE', message: 'try later' })).toBeInstanceOf(RetryableError);
    expect(classifySmtpError({ responseCode: 550, code: 'EENVELOPE', message: 'no such user' })).toBeInstanceOf(PermanentError);
    expect(classifySmtpError({ responseCode: 535, code: 'EAUTH', message: 'bad login' }).code).toBe('smtp:535');
    expect(classifySmtpError({ code: 'ECONNECTION', message: 'Connection closed' })).toBeInstanceOf(RetryableError);
    expect(classifySmtpError({ code: 'ESOCKET', message: 'self-signed certificate' }).code).toBe('smtp:tls');
  });
});

describe('PartialFailureError', () => {
  it('is permanent, so the bus dead-letters it', () => {
    const e = new PartialFailureError('x', { code: 'wechat:invalid-recipients', delivered: ['a'], failed: [] });
    expect(e).toBeInstanceOf(PermanentError);
    expect(classifyError(e).kind).toBe('permanent');
  });
});

describe('redactUrl', () => {
  it.each([
    ['https://oapi.dingtalk.com/robot/send?access_token=abc&sign=x', 'https://oapi.dingtalk.com/robot/send'],
    ['https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k', 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send'],
    ['https://open.feishu.cn/open-apis/bot/v2/hook/0123-secret', 'https://open.feishu.cn/open-apis/bot/v2/hook/***'],
    ['https://hooks.slack.com/services/T1/B2/XYZ', 'https://hooks.slack.com/services/***/***/***'],
    ['https://user:pw@example.com/a?b=c#d', 'https://example.com/a'],
    ['not a url', '<invalid url>'],
  ])('%s → %s', (raw, redacted) => expect(redactUrl(raw)).toBe(redacted));
});

describe('ChannelUrlEnvSchema', () => {
  it('defaults to the vendors and normalises overrides', () => {
    expect(ChannelUrlEnvSchema.parse({})).toEqual({
      NM_SLACK_API_URL: 'https://slack.com/api/',
      NM_DINGTALK_API_URL: 'https://oapi.dingtalk.com/',
      NM_FEISHU_API_URL: 'https://open.feishu.cn/open-apis/',
      NM_PUSHOVER_API_URL: 'https://api.pushover.net/1/',
      NM_TELEGRAM_API_URL: 'https://api.telegram.org/',
      NM_PAGERDUTY_API_URL: 'https://events.pagerduty.com/',
      NM_OPSGENIE_API_URL: 'https://api.opsgenie.com/',
    });
    expect(ChannelUrlEnvSchema.parse({ NM_FEISHU_API_URL: 'https://open.larksuite.com/open-apis' }).NM_FEISHU_API_URL).toBe(
      'https://open.larksuite.com/open-apis/',
    );
    expect(() => ChannelUrlEnvSchema.parse({ NM_SLACK_API_URL: 'ftp://x' })).toThrow(/NM_SLACK_API_URL/);
  });
});
