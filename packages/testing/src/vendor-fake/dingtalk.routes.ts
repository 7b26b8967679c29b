/** DingTalk: custom robot (signature, keywords, 20/min), gettoken and chat/send. HTTP 200 + errcode. */
import { dingtalkSignature, sameText } from './fake.signing.js';
import { asRecord, exactPath, json, randomId, str, utf8Bytes, type Reply, type RouteDef } from './fake.state.js';

const err = (errcode: number, errmsg: string): Reply => json({ errcode, errmsg });
const errorReply = (code: number | string, msg?: string): Reply => err(Number(code), msg ?? `fake error ${code}`);
const rateLimitReply = (sec: number): Reply => ({
  status: 429,
  headers: { 'retry-after': String(sec) },
  body: { errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' },
});
const HOUR_MS = 3_600_000;

/** The text DingTalk checks keywords against. */
function textOf(body: Record<string, unknown>): string | undefined {
  const msgtype = str(body.msgtype);
  if (msgtype === 'text') return str(asRecord(body.text).content);
  if (msgtype === 'markdown') return str(asRecord(body.markdown).text);
  return undefined;
}

const robot: RouteDef = {
  name: 'dingtalk.robot',
  vendor: 'dingtalk',
  method: 'POST',
  match: exactPath('/dingtalk/robot/send'),
  handle(req, state) {
    const cfg = state.opts.dingtalk ?? {};
    const token = req.query.access_token;
    if (!token) return err(300001, 'token is not exist');
    const robotCfg = cfg.robots ? cfg.robots[token] : {};
    if (!robotCfg) return err(300001, 'token is not exist');
    if (robotCfg.secret) {
      const { timestamp, sign } = req.query;
      if (!timestamp || !sign) return err(310000, 'sign not match');
      if (!/^\d+$/.test(timestamp) || Math.abs(state.now() - Number(timestamp)) > HOUR_MS) {
        return err(310000, 'timestamp is not within one hour of the server time');
      }
      if (!sameText(sign, dingtalkSignature(timestamp, robotCfg.secret))) return err(310000, 'sign not match');
    }
    const body = asRecord(req.body);
    const text = textOf(body);
    if (text === undefined) return err(40035, 'invalid msgtype or content');
    if (body.msgtype === 'markdown' && !str(asRecord(body.markdown).title)) return err(40035, 'markdown title missing');
    if (utf8Bytes(text) > 20_000) return err(460101, 'message too long');
    if (robotCfg.keywords?.length && !robotCfg.keywords.some((k) => text.includes(k))) {
      return err(310000, 'keywords not in content');
    }
    if (!state.allow(`dingtalk-robot:${token}`, cfg.robotRateLimit ?? { limit: 20, windowMs: 60_000 })) {
      return err(130101, 'send too fast, exceed 20 times per minute');
    }
    return json({ errcode: 0, errmsg: 'ok' });
  },
  errorReply,
  rateLimitReply,
};

const gettoken: RouteDef = {
  name: 'dingtalk.gettoken',
  vendor: 'dingtalk',
  method: 'GET',
  match: exactPath('/dingtalk/gettoken'),
  handle(req, state) {
    const cfg = state.opts.dingtalk ?? {};
    const { appkey, appsecret } = req.query;
    if (!appkey || !appsecret) return err(40089, 'invalid appkey or appsecret');
    if (cfg.apps && !cfg.apps.some((a) => a.appKey === appkey && a.appSecret === appsecret)) {
      return err(40089, 'invalid appkey or appsecret');
    }
    const ttl = cfg.tokenTtlSec ?? 7200;
    return json({ errcode: 0, errmsg: 'ok', access_token: state.issueToken('dingtalk', ttl), expires_in: ttl });
  },
  errorReply,
  rateLimitReply,
};

const chat: RouteDef = {
  name: 'dingtalk.chat',
  vendor: 'dingtalk',
  method: 'POST',
  match: exactPath('/dingtalk/chat/send'),
  handle(req, state) {
    const check = state.checkToken('dingtalk', req.query.access_token);
    if (check === 'missing' || check === 'invalid') return err(40014, 'invalid access_token');
    if (check === 'expired') return err(42001, 'access_token expired');
    const cfg = state.opts.dingtalk ?? {};
    const body = asRecord(req.body);
    const chatid = str(body.chatid);
    if (!chatid || (cfg.chats && !cfg.chats.includes(chatid))) return err(34012, 'chat not found');
    const text = textOf(asRecord(body.msg));
    if (text === undefined) return err(40035, 'invalid msgtype or content');
    if (utf8Bytes(text) > 5000) return err(460101, 'message too long');
    return json({ errcode: 0, errmsg: 'ok', messageId: randomId('dt-') });
  },
  errorReply,
  rateLimitReply,
};

export const dingtalkRoutes: RouteDef[] = [robot, gettoken, chat];
