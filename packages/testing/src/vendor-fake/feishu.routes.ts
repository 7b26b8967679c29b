/** Feishu/Lark: custom bot hook (signature in the body, keywords), tenant_access_token, batch_send. */
import { feishuSignature, sameText } from './fake.signing.js';
import { asRecord, exactPath, json, prefixPath, randomId, str, type Reply, type RouteDef } from './fake.state.js';

const HOUR_SEC = 3600;
const MAX_BODY_BYTES = 20 * 1024;
const fail = (code: number, msg: string, status = 200): Reply => json({ code, msg, data: {} }, status);
const errorReply = (code: number | string, msg?: string): Reply => fail(Number(code), msg ?? `fake error ${code}`);
const rateLimitReply = (sec: number): Reply => ({
  status: 429,
  headers: { 'retry-after': String(sec) },
  body: { code: 9499, msg: 'too many request', data: {} },
});

/** Every text a message shows: text content, or every `text` of every locale of a post. */
function textsOf(msgType: string | undefined, content: Record<string, unknown>): string[] {
  if (msgType === 'text') return [str(content.text) ?? ''];
  if (msgType === 'post') {
    const out: string[] = [];
    for (const locale of Object.values(asRecord(content.post))) {
      const title = str(asRecord(locale).title);
      if (title) out.push(title);
      const rows = asRecord(locale).content;
      for (const row of Array.isArray(rows) ? rows : []) {
        for (const el of Array.isArray(row) ? row : []) out.push(str(asRecord(el).text) ?? '');
      }
    }
    return out;
  }
  return [];
}

function contentError(body: Record<string, unknown>): Reply | undefined {
  const msgType = str(body.msg_type);
  if (msgType !== 'text' && msgType !== 'post') return fail(19001, 'param invalid: msg_type');
  const texts = textsOf(msgType, asRecord(body.content));
  if (texts.join('') === '') return fail(19001, 'param invalid: empty content');
  return undefined;
}

const bot: RouteDef = {
  name: 'feishu.bot',
  vendor: 'feishu',
  method: 'POST',
  match: prefixPath('/feishu/open-apis/bot/v2/hook/'),
  handle(req, state) {
    const cfg = state.opts.feishu ?? {};
    const id = req.params[0] ?? '';
    const botCfg = cfg.bots ? cfg.bots[id] : {};
    if (!botCfg) return fail(19001, 'param invalid: incoming webhook access token invalid');
    if (Buffer.byteLength(req.rawBody) > MAX_BODY_BYTES) return fail(9499, 'request body too large', 400);
    const body = asRecord(req.body);
    if (botCfg.secret) {
      const ts = str(body.timestamp);
      const sign = str(body.sign);
      const fresh = ts !== undefined && /^\d+$/.test(ts) && Math.abs(state.now() / 1000 - Number(ts)) <= HOUR_SEC;
      if (!fresh || !sign || !sameText(sign, feishuSignature(ts, botCfg.secret))) {
        return fail(19021, 'sign match fail or timestamp is not within one hour from current time');
      }
    }
    const bad = contentError(body);
    if (bad) return bad;
    const texts = textsOf(str(body.msg_type), asRecord(body.content));
    if (botCfg.keywords?.length && !botCfg.keywords.some((k) => texts.some((t) => t.includes(k)))) {
      return fail(19024, 'Key Words Not Found');
    }
    if (!state.allow(`feishu-bot:${id}`, cfg.botRateLimit)) return fail(11232, 'frequency limited');
    return json({ StatusCode: 0, StatusMessage: 'success', code: 0, data: {}, msg: 'success' });
  },
  errorReply,
  rateLimitReply,
};

const token: RouteDef = {
  name: 'feishu.token',
  vendor: 'feishu',
  method: 'POST',
  match: exactPath('/feishu/open-apis/auth/v3/tenant_access_token/internal'),
  handle(req, state) {
    const cfg = state.opts.feishu ?? {};
    const body = asRecord(req.body);
    const appId = str(body.app_id);
    const appSecret = str(body.app_secret);
    if (!appId || !appSecret) return json({ code: 10003, msg: 'invalid param' });
    if (cfg.apps) {
      const app = cfg.apps.find((a) => a.appId === appId);
      if (!app) return json({ code: 10003, msg: 'invalid param' });
      if (app.appSecret !== appSecret) return json({ code: 10014, msg: 'app secret invalid' });
    }
    const ttl = cfg.tokenTtlSec ?? 7200;
    return json({ code: 0, msg: 'ok', tenant_access_token: state.issueToken('feishu', ttl, 't-'), expire: ttl });
  },
  errorReply,
  rateLimitReply,
};

const batch: RouteDef = {
  name: 'feishu.batch',
  vendor: 'feishu',
  method: 'POST',
  match: exactPath('/feishu/open-apis/message/v4/batch_send'),
  handle(req, state) {
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const check = state.checkToken('feishu', bearer);
    if (check === 'missing') return fail(99991661, 'Missing access token for authorization', 400);
    if (check === 'invalid') return fail(99991663, 'Invalid access token for authorization', 400);
    if (check === 'expired') return fail(99991677, 'Authentication token expired', 400);
    const cfg = state.opts.feishu ?? {};
    const body = asRecord(req.body);
    const bad = contentError(body);
    if (bad) return bad;
    const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    const users = list(body.user_ids);
    const departments = list(body.department_ids);
    if (users.length + departments.length === 0) return fail(10002, 'no receiver');
    if (users.length > 200 || departments.length > 200) return fail(10002, 'too many receivers');
    const invalidUsers = cfg.users ? users.filter((u) => !cfg.users?.includes(u)) : [];
    const invalidDepartments = cfg.departments ? departments.filter((d) => !cfg.departments?.includes(d)) : [];
    return json({
      code: 0,
      msg: 'success',
      data: { message_id: randomId('bm-'), invalid_user_ids: invalidUsers, invalid_department_ids: invalidDepartments },
    });
  },
  errorReply,
  rateLimitReply,
};

export const feishuRoutes: RouteDef[] = [bot, token, batch];
