import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startVendorFake } from './fake.server.js';
import type { VendorFake } from './fake.types.js';

/** Replies are read field by field in the assertions below. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const post = async (url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Loose; text: string; headers: Headers }> => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
};
const get = async (url: string): Promise<Loose> => (await fetch(url)).json();

describe('vendor fake', () => {
  let fake: VendorFake;
  beforeAll(async () => {
    fake = await startVendorFake({
      wecom: { apps: [{ corpId: 'corp', secret: 's3cret' }], users: ['alice', 'bob'] },
      dingtalk: { robots: { tok: { secret: 'SEC', keywords: ['alert'] } }, robotRateLimit: { limit: 2, windowMs: 60_000 } },
      feishu: { bots: { hook1: { secret: 'fs' } }, apps: [{ appId: 'cli_1', appSecret: 'as' }], users: ['ou_1'] },
      slack: { tokens: ['xoxb-1'] },
    });
  });
  afterAll(async () => fake.close());

  it('issues WeCom tokens, verifies them, and reports unknown users', async () => {
    expect((await get(`${fake.urls.wecomApi}gettoken?corpid=corp&corpsecret=bad`)).errcode).toBe(40001);
    const tok = await get(`${fake.urls.wecomApi}gettoken?corpid=corp&corpsecret=s3cret`);
    expect(tok).toMatchObject({ errcode: 0, expires_in: 7200 });
    const msg = { touser: 'alice|mallory', agentid: '1', msgtype: 'text', text: { content: 'hi' }, safe: '0' };
    expect((await post(`${fake.urls.wecomApi}message/send?access_token=nope`, msg)).json.errcode).toBe(40014);
    const ok = await post(`${fake.urls.wecomApi}message/send?access_token=${tok.access_token}`, msg);
    expect(ok.json).toMatchObject({ errcode: 0, invaliduser: 'mallory' });
    fake.expireTokens('wecom');
    expect((await post(`${fake.urls.wecomApi}message/send?access_token=${tok.access_token}`, msg)).json.errcode).toBe(42001);
  });

  it('checks DingTalk signatures (ms timestamp, secret as key), keywords and the per-robot rate', async () => {
    const ts = String(Date.now());
    const sign = createHmac('sha256', 'SEC').update(`${ts}\nSEC`).digest('base64');
    const body = { msgtype: 'text', text: { content: 'an alert' } };
    const url = `${fake.dingtalkRobotUrl('tok')}&timestamp=${ts}&sign=${encodeURIComponent(sign)}`;
    expect((await post(url, body)).json).toEqual({ errcode: 0, errmsg: 'ok' });
    const wrong = createHmac('sha256', 'other').update(`${ts}\nother`).digest('base64');
    expect((await post(`${fake.dingtalkRobotUrl('tok')}&timestamp=${ts}&sign=${encodeURIComponent(wrong)}`, body)).json.errcode).toBe(310000);
    expect((await post(url, { msgtype: 'text', text: { content: 'no keyword' } })).json.errcode).toBe(310000);
    expect((await post(url, body)).json.errcode).toBe(0);
    expect((await post(url, body)).json.errcode).toBe(130101);
  });

  it('checks Feishu signatures (s timestamp, timestamp+secret as key over an empty message)', async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const sign = createHmac('sha256', `${ts}\nfs`).update('').digest('base64');
    const msg = { msg_type: 'text', content: { text: 'hello' } };
    expect((await post(fake.feishuBotUrl('hook1'), { ...msg, timestamp: ts, sign })).json).toMatchObject({ code: 0, StatusCode: 0 });
    const bad = createHmac('sha256', 'fs').update(`${ts}\nfs`).digest('base64');
    expect((await post(fake.feishuBotUrl('hook1'), { ...msg, timestamp: ts, sign: bad })).json.code).toBe(19021);
  });

  it('issues Feishu tenant tokens and reports invalid ids', async () => {
    const t = (await post(`${fake.urls.feishuApi}auth/v3/tenant_access_token/internal`, { app_id: 'cli_1', app_secret: 'as' })).json;
    expect(t).toMatchObject({ code: 0, expire: 7200 });
    const body = { msg_type: 'text', content: { text: 'x' }, user_ids: ['ou_1', 'ou_2'] };
    const res = await post(`${fake.urls.feishuApi}message/v4/batch_send/`, body, { authorization: `Bearer ${t.tenant_access_token}` });
    expect(res.json.data.invalid_user_ids).toEqual(['ou_2']);
    expect((await post(`${fake.urls.feishuApi}message/v4/batch_send/`, body, { authorization: 'Bearer t-x' })).status).toBe(400);
  });

  it('scripts vendor errors, 429 with Retry-After, delays and connection resets', async () => {
    const url = `${fake.urls.slackApi}chat.postMessage`;
    const auth = { authorization: 'Bearer xoxb-1' };
    fake.script({ route: 'slack.postMessage', error: 'channel_not_found' });
    fake.script({ route: 'slack.postMessage', retryAfterSec: 7 });
    fake.script({ route: 'slack.postMessage', reset: true });
    fake.script({ route: 'slack.postMessage', delayMs: 150 });
    expect((await post(url, { channel: 'C1', text: 'a' }, auth)).json).toEqual({ ok: false, error: 'channel_not_found' });
    const limited = await post(url, { channel: 'C1', text: 'a' }, auth);
    expect([limited.status, limited.headers.get('retry-after'), limited.json.error]).toEqual([429, '7', 'ratelimited']);
    await expect(post(url, { channel: 'C1', text: 'a' }, auth)).rejects.toThrow();
    const t0 = Date.now();
    expect((await post(url, { channel: 'C1', text: 'a' }, auth)).json.ok).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect((await post(url, { channel: 'C1', text: 'a' }, { authorization: 'Bearer wrong' })).json.error).toBe('invalid_auth');
    expect(fake.requestsTo('slack.postMessage').filter((r) => r.scripted)).toHaveLength(4);
  });

  it('runs as a child process printing its URL, driven by the control API', async () => {
    const cli = fileURLToPath(new URL('../../dist/vendor-fake/cli.js', import.meta.url));
    const child = spawn(process.execPath, [cli], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0]!);
        });
        child.once('exit', (code) => reject(new Error(`cli exited with ${code}`)));
      });
      const { url, urls } = JSON.parse(line) as { url: string; urls: { wecomApi: string } };
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await post(`${url}/_fake/script`, { route: 'wecom.gettoken', error: 45009 });
      expect((await get(`${urls.wecomApi}gettoken?corpid=a&corpsecret=b`)).errcode).toBe(45009);
      const recorded = (await get(`${url}/_fake/requests?route=wecom.gettoken`)) as unknown[];
      expect(recorded).toHaveLength(1);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
