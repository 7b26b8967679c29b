/**
 * One HTTP server on 127.0.0.1 that plays Slack, WeCom, DingTalk and Feishu: it checks tokens and
 * signatures as the vendors do, records every request, and answers scripted failures. A control
 * API under `/_fake/` gives the same powers to tests that run it as a child process.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dingtalkRoutes } from './dingtalk.routes.js';
import { FakeState, type FakeRequest, type Reply, type RouteDef } from './fake.state.js';
import type { RecordedRequest, RouteName, ScriptRule, Vendor, VendorFake, VendorFakeOptions } from './fake.types.js';
import { feishuRoutes } from './feishu.routes.js';
import { googlechatRoutes } from './googlechat.routes.js';
import type { IncidentVendor } from './incident.book.js';
import { opsgenieRoutes } from './opsgenie.routes.js';
import { pagerdutyRoutes } from './pagerduty.routes.js';
import { teamsRoutes } from './teams.routes.js';
import { slackRoutes } from './slack.routes.js';
import { wecomRoutes } from './wecom.routes.js';
import { smsRoutes } from './sms.routes.js';
import { pushoverRoutes } from './pushover.routes.js';
import { discordRoutes } from './discord.routes.js';
import { telegramRoutes } from './telegram.routes.js';

const ROUTE_TABLE: RouteDef[] = [...slackRoutes, ...wecomRoutes, ...dingtalkRoutes, ...feishuRoutes, ...smsRoutes, ...pushoverRoutes, ...discordRoutes, ...telegramRoutes, ...teamsRoutes, ...googlechatRoutes, ...pagerdutyRoutes, ...opsgenieRoutes];

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function write(res: ServerResponse, reply: Reply): void {
  const isText = typeof reply.body === 'string';
  const payload = isText ? (reply.body as string) : JSON.stringify(reply.body ?? {});
  res.writeHead(reply.status, {
    'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    ...reply.headers,
  });
  res.end(payload);
}

function ruleMatches(rule: ScriptRule, rec: RecordedRequest): boolean {
  if (rule.route !== rec.route) return false;
  for (const [k, v] of Object.entries(rule.where?.query ?? {})) if (rec.query[k] !== v) return false;
  const body = typeof rec.body === 'object' && rec.body !== null ? (rec.body as Record<string, unknown>) : {};
  for (const [k, v] of Object.entries(rule.where?.body ?? {})) if (JSON.stringify(body[k]) !== JSON.stringify(v)) return false;
  return rule.match ? rule.match(rec) : true;
}

export async function startVendorFake(opts: VendorFakeOptions = {}): Promise<VendorFake> {
  const now = opts.now ?? (() => Date.now());
  const state = new FakeState(opts, now);
  const requests: RecordedRequest[] = [];
  let scripts: { rule: ScriptRule; left: number }[] = [];
  const sockets = new Set<Socket>();
  let base = '';

  const script = (rule: ScriptRule): void => {
    scripts.push({ rule, left: rule.times ?? 1 });
  };
  const reset = (): void => {
    requests.length = 0;
    scripts = [];
    state.reset();
  };

  const control = (req: IncomingMessage, res: ServerResponse, path: string, raw: string): void => {
    const body = (parseJson(raw) ?? {}) as Record<string, unknown>;
    if (path === '/_fake/requests' && req.method === 'GET') {
      const route = new URL(req.url ?? '/', base).searchParams.get('route');
      return write(res, { status: 200, body: route ? requests.filter((r) => r.route === route) : requests });
    }
    if (path === '/_fake/script' && req.method === 'POST') {
      script(body as unknown as ScriptRule);
      return write(res, { status: 200, body: { ok: true } });
    }
    if (path === '/_fake/expire-tokens' && req.method === 'POST') {
      state.expireTokens(body.vendor as Vendor | undefined);
      return write(res, { status: 200, body: { ok: true } });
    }
    if (path === '/_fake/incidents' && req.method === 'GET') {
      const vendor = new URL(req.url ?? '/', base).searchParams.get('vendor');
      return write(res, { status: 200, body: state.incidents.all((vendor as IncidentVendor | null) ?? undefined) });
    }
    if (path === '/_fake/reset' && req.method === 'POST') {
      reset();
      return write(res, { status: 200, body: { ok: true } });
    }
    return write(res, { status: 404, body: { error: 'unknown control path' } });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname;
    const rawBody = await readBody(req);
    if (path.startsWith('/_fake/')) return control(req, res, path, rawBody);
    const query = Object.fromEntries(url.searchParams.entries());
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    let route: RouteDef | undefined;
    let params: string[] | undefined;
    for (const r of ROUTE_TABLE) {
      params = r.method === req.method ? r.match(path) : undefined;
      if (params) {
        route = r;
        break;
      }
    }
    const rec: RecordedRequest = {
      route: route?.name ?? 'unknown',
      method: req.method ?? 'GET',
      path,
      query,
      headers,
      rawBody,
      body: parseJson(rawBody),
      at: now(),
      response: { status: 0, body: undefined },
      scripted: false,
    };
    requests.push(rec);
    if (!route) {
      rec.response = { status: 404, body: { error: 'no such fake endpoint' } };
      return write(res, { status: 404, body: rec.response.body });
    }
    const entry = scripts.find((s) => s.left > 0 && ruleMatches(s.rule, rec));
    if (entry) entry.left -= 1;
    const rule = entry?.rule;
    if (rule) rec.scripted = true;
    if (rule?.reset) {
      rec.response = { reset: true };
      req.socket.destroy();
      return;
    }
    if (rule?.delayMs) await new Promise((r) => setTimeout(r, rule.delayMs));
    let reply: Reply;
    if (rule?.retryAfterSec !== undefined) reply = route.rateLimitReply(rule.retryAfterSec);
    else if (rule?.error !== undefined) reply = route.errorReply(rule.error, rule.errmsg);
    else if (rule && (rule.status !== undefined || rule.body !== undefined)) {
      reply = { status: rule.status ?? 200, body: rule.body ?? '', ...(rule.headers ? { headers: rule.headers } : {}) };
    } else {
      const fakeReq: FakeRequest = { method: rec.method, path, query, headers, rawBody, body: rec.body, params: params ?? [] };
      reply = route.handle(fakeReq, state);
    }
    if (rule?.headers && reply.headers !== rule.headers) reply = { ...reply, headers: { ...reply.headers, ...rule.headers } };
    rec.response = { status: reply.status, body: reply.body };
    if (res.destroyed) return;
    write(res, reply);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) write(res, { status: 500, body: { error: e instanceof Error ? e.message : String(e) } });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;

  return {
    url: base,
    urls: {
      slackApi: `${base}/slack/api/`,
      wecomApi: `${base}/wecom/cgi-bin/`,
      dingtalkApi: `${base}/dingtalk/`,
      feishuApi: `${base}/feishu/open-apis/`,
      aliyunSms: `${base}/aliyun/`,
      tencentSms: `${base}/tencent/`,
      awsSns: `${base}/aws/`,
      huaweiSms: `${base}/huawei/sms/batchSendSms/v1`,
      pushoverApi: `${base}/pushover/1/`,
      telegramApi: `${base}/telegram/`,
      pagerdutyApi: `${base}/pagerduty/`,
      opsgenieApi: `${base}/opsgenie/`,
    },
    requests,
    requestsTo: (route: RouteName) => requests.filter((r) => r.route === route),
    script,
    expireTokens: (vendor?: Vendor) => state.expireTokens(vendor),
    reset,
    slackWebhookUrl: (path) => `${base}/slack/services/${path}`,
    wecomBotUrl: (key) => `${base}/wecom/cgi-bin/webhook/send?key=${encodeURIComponent(key)}`,
    dingtalkRobotUrl: (token) => `${base}/dingtalk/robot/send?access_token=${encodeURIComponent(token)}`,
    feishuBotUrl: (id) => `${base}/feishu/open-apis/bot/v2/hook/${encodeURIComponent(id)}`,
    discordWebhookUrl: (path) => `${base}/discord/api/webhooks/${path}`,
    teamsWebhookUrl: (id, sig) => `${base}/teams/workflows/${encodeURIComponent(id)}${sig ? `?api-version=2016-06-01&sig=${encodeURIComponent(sig)}` : ''}`,
    googlechatWebhookUrl: (space, key, token) => `${base}/googlechat/v1/spaces/${encodeURIComponent(space)}/messages?key=${encodeURIComponent(key)}&token=${encodeURIComponent(token)}`,
    incidents: (vendor?: IncidentVendor) => state.incidents.all(vendor),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
