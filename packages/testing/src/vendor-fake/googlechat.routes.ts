/**
 * Google Chat incoming webhooks: `POST /googlechat/v1/spaces/<space>/messages?key=…&token=…`.
 * Checks the space, its key and token, and that the message has `text` (at most 4096
 * characters) or cards; answers 200 with the created message, Google's error shape
 * `{error: {code, message, status}}` for 400/401/404, and 429 RESOURCE_EXHAUSTED.
 */
import { asRecord, str, type Reply, type RouteDef } from './fake.state.js';

let nextMessage = 1;

const googleError = (code: number, status: string, message: string): Reply => ({ status: code, body: { error: { code, message, status } } });

const messages: RouteDef = {
  name: 'googlechat.webhook',
  vendor: 'googlechat',
  method: 'POST',
  match: (path) => {
    const m = /^\/googlechat\/v1\/spaces\/([^/]+)\/messages$/.exec(path);
    return m ? [m[1]!] : undefined;
  },
  handle(req, state) {
    const space = req.params[0] ?? '';
    const spaces = state.opts.googlechat?.spaces;
    const creds = spaces?.[space];
    if (spaces && !creds) return googleError(404, 'NOT_FOUND', 'Requested entity was not found.');
    if (!req.query.key || !req.query.token || (creds && (creds.key !== req.query.key || creds.token !== req.query.token))) {
      return googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    }
    if (req.body === undefined) return googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
    const body = asRecord(req.body);
    const text = str(body.text) ?? '';
    const cards = Array.isArray(body.cardsV2) ? body.cardsV2 : [];
    if (text === '' && cards.length === 0) return googleError(400, 'INVALID_ARGUMENT', 'Message cannot be empty. Discarded empty message.');
    if ([...text].length > 4096) return googleError(400, 'INVALID_ARGUMENT', 'Text of the message is longer than 4096 characters.');
    const name = `spaces/${space}/messages/m${nextMessage++}`;
    return { status: 200, body: { name, text, createTime: new Date(state.now()).toISOString(), thread: { name: `spaces/${space}/threads/t${nextMessage}` }, space: { name: `spaces/${space}` } } };
  },
  errorReply: (code, msg) => googleError(typeof code === 'number' ? code : 400, typeof code === 'number' ? 'FAILED_PRECONDITION' : code, msg ?? String(code)),
  rateLimitReply: (sec) => ({
    status: 429,
    headers: { 'retry-after': String(sec) },
    body: { error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } },
  }),
};

export const googlechatRoutes: RouteDef[] = [messages];
