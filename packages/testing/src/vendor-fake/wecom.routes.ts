/** WeCom: gettoken, app message/send, group-robot webhook/send. Errors are HTTP 200 + errcode. */
import { asRecord, exactPath, json, randomId, str, utf8Bytes, type FakeRequest, type FakeState, type Reply, type RouteDef } from './fake.state.js';

const err = (errcode: number, errmsg: string): Reply => json({ errcode, errmsg });
const errorReply = (code: number | string, msg?: string): Reply => err(Number(code), msg ?? `fake error ${code}`);
const rateLimitReply = (sec: number): Reply => ({
  status: 429,
  headers: { 'retry-after': String(sec) },
  body: { errcode: 45009, errmsg: 'api freq out of limit' },
});

const gettoken: RouteDef = {
  name: 'wecom.gettoken',
  vendor: 'wecom',
  method: 'GET',
  match: exactPath('/wecom/cgi-bin/gettoken'),
  handle(req, state) {
    const cfg = state.opts.wecom ?? {};
    const { corpid, corpsecret } = req.query;
    if (!corpid) return err(41002, 'corpid missing');
    if (!corpsecret) return err(41004, 'corpsecret missing');
    if (cfg.apps) {
      const app = cfg.apps.find((a) => a.corpId === corpid);
      if (!app) return err(40013, 'invalid corpid');
      if (app.secret !== corpsecret) return err(40001, 'invalid credential');
    }
    const ttl = cfg.tokenTtlSec ?? 7200;
    return json({ errcode: 0, errmsg: 'ok', access_token: state.issueToken('wecom', ttl), expires_in: ttl });
  },
  errorReply,
  rateLimitReply,
};

function contentOf(body: Record<string, unknown>): { msgtype: string; content: string | undefined } {
  const msgtype = str(body.msgtype) ?? '';
  const part = asRecord(body[msgtype]);
  return { msgtype, content: str(part.content) };
}

function tokenError(req: FakeRequest, state: FakeState): Reply | undefined {
  const check = state.checkToken('wecom', req.query.access_token);
  if (check === 'missing') return err(41001, 'access_token missing');
  if (check === 'invalid') return err(40014, 'invalid access_token');
  if (check === 'expired') return err(42001, 'access_token expired');
  return undefined;
}

const send: RouteDef = {
  name: 'wecom.send',
  vendor: 'wecom',
  method: 'POST',
  match: exactPath('/wecom/cgi-bin/message/send'),
  handle(req, state) {
    const bad = tokenError(req, state);
    if (bad) return bad;
    const cfg = state.opts.wecom ?? {};
    const body = asRecord(req.body);
    if (str(body.agentid) === undefined) return err(40056, 'invalid agentid');
    const { msgtype, content } = contentOf(body);
    if (msgtype !== 'text' && msgtype !== 'markdown') return err(40008, 'invalid message type');
    if (!content) return err(44004, 'empty content');
    if (utf8Bytes(content) > 2048) return err(45002, 'content size out of limit');
    const split = (v: unknown): string[] => (str(v) ?? '').split('|').filter((x) => x !== '');
    const users = split(body.touser);
    const parties = split(body.toparty);
    const tags = split(body.totag);
    if (users.length > 1000 || parties.length > 100 || tags.length > 100) return err(40058, 'too many recipients');
    if (users.length + parties.length + tags.length === 0) return err(40035, 'no recipient');
    const unknown = (ids: string[], known?: string[]): string[] => (known ? ids.filter((i) => !known.includes(i)) : []);
    const invaliduser = users.includes('@all') ? [] : unknown(users, cfg.users);
    const invalidparty = unknown(parties, cfg.parties);
    const invalidtag = unknown(tags, cfg.tags);
    const total = users.length + parties.length + tags.length;
    if (invaliduser.length + invalidparty.length + invalidtag.length === total) return err(81013, 'user & party & tag all invalid');
    return json({
      errcode: 0,
      errmsg: 'ok',
      invaliduser: invaliduser.join('|'),
      invalidparty: invalidparty.join('|'),
      invalidtag: invalidtag.join('|'),
      msgid: randomId('msg-'),
    });
  },
  errorReply,
  rateLimitReply,
};

const bot: RouteDef = {
  name: 'wecom.bot',
  vendor: 'wecom',
  method: 'POST',
  match: exactPath('/wecom/cgi-bin/webhook/send'),
  handle(req, state) {
    const cfg = state.opts.wecom ?? {};
    const key = req.query.key;
    if (!key || (cfg.botKeys && !cfg.botKeys.includes(key))) return err(93000, 'invalid webhook url');
    if (!state.allow(`wecom-bot:${key}`, cfg.botRateLimit)) return err(45009, 'api freq out of limit');
    const { msgtype, content } = contentOf(asRecord(req.body));
    if (msgtype !== 'text' && msgtype !== 'markdown') return err(40008, 'invalid message type');
    if (!content) return err(44004, 'empty content');
    if (utf8Bytes(content) > (msgtype === 'text' ? 2048 : 4096)) return err(45002, 'content size out of limit');
    return json({ errcode: 0, errmsg: 'ok' });
  },
  errorReply,
  rateLimitReply,
};

export const wecomRoutes: RouteDef[] = [gettoken, send, bot];
