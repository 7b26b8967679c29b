/** Slack: chat.postMessage (HTTP 200 with ok:false on errors) and incoming webhooks (status + text). */
import { asRecord, exactPath, json, prefixPath, str, type RouteDef } from './fake.state.js';

const MAX_TEXT_CHARS = 40_000;

const postMessage: RouteDef = {
  name: 'slack.postMessage',
  vendor: 'slack',
  method: 'POST',
  match: exactPath('/slack/api/chat.postMessage'),
  handle(req, state) {
    const cfg = state.opts.slack ?? {};
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer\s+(.+)$/i.exec(auth)?.[1];
    if (!token) return json({ ok: false, error: 'not_authed' });
    if (cfg.tokens && !cfg.tokens.includes(token)) return json({ ok: false, error: 'invalid_auth' });
    const body = asRecord(req.body);
    const channel = str(body.channel);
    const text = str(body.text);
    if (!channel) return json({ ok: false, error: 'channel_not_found' });
    if (cfg.channels && !cfg.channels.includes(channel)) return json({ ok: false, error: 'channel_not_found' });
    if (!text) return json({ ok: false, error: 'no_text' });
    if ([...text].length > MAX_TEXT_CHARS) return json({ ok: false, error: 'msg_too_long' });
    const ts = (state.now() / 1000).toFixed(6);
    return json({ ok: true, channel, ts, message: { type: 'message', text, ts } });
  },
  errorReply: (code) => json({ ok: false, error: String(code) }),
  rateLimitReply: (sec) => ({ status: 429, headers: { 'retry-after': String(sec) }, body: { ok: false, error: 'ratelimited' } }),
};

const webhook: RouteDef = {
  name: 'slack.webhook',
  vendor: 'slack',
  method: 'POST',
  match: prefixPath('/slack/services/'),
  handle(req, state) {
    const known = state.opts.slack?.webhooks;
    const path = req.params[0] ?? '';
    if (known && !known.includes(path)) return { status: 404, body: 'no_service' };
    const text = str(asRecord(req.body).text);
    if (req.body === undefined) return { status: 400, body: 'invalid_payload' };
    if (!text) return { status: 400, body: 'no_text' };
    if ([...text].length > MAX_TEXT_CHARS) return { status: 400, body: 'invalid_payload' };
    return { status: 200, body: 'ok' };
  },
  errorReply: (code) => ({ status: typeof code === 'number' ? code : 400, body: typeof code === 'number' ? 'error' : code }),
  rateLimitReply: (sec) => ({ status: 429, headers: { 'retry-after': String(sec) }, body: 'rate_limited' }),
};

export const slackRoutes: RouteDef[] = [postMessage, webhook];
