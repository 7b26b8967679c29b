/**
 * Telegram Bot API: `POST /bot<token>/sendMessage`. Checks the bot token, the chat, and the text
 * (not empty, at most 4096 characters); answers `{ok: true, result: Message}` or
 * `{ok: false, error_code, description}`, and 429 with `parameters.retry_after` (no header, as
 * Telegram does).
 */
import { asRecord, str, type Reply, type RouteDef } from './fake.state.js';

let nextMessageId = 1;

const failure = (status: number, description: string): Reply => ({ status, body: { ok: false, error_code: status, description } });

const sendMessage: RouteDef = {
  name: 'telegram.sendMessage',
  vendor: 'telegram',
  method: 'POST',
  match: (path) => {
    const m = /^\/telegram\/bot([^/]+)\/sendMessage\/?$/.exec(path);
    return m ? [decodeURIComponent(m[1]!)] : undefined;
  },
  handle(req, state) {
    const cfg = state.opts.telegram ?? {};
    const token = req.params[0] ?? '';
    if (cfg.tokens ? !cfg.tokens.includes(token) : !/^\d+:[A-Za-z0-9_-]+$/.test(token)) return failure(401, 'Unauthorized');
    const body = asRecord(req.body);
    const chat = str(body.chat_id);
    if (chat === undefined || chat === '') return failure(400, 'Bad Request: chat_id is empty');
    if (cfg.chats && !cfg.chats.includes(chat)) return failure(400, 'Bad Request: chat not found');
    const text = str(body.text) ?? '';
    if (text.trim() === '') return failure(400, 'Bad Request: message text is empty');
    if (text.length > 4096) return failure(400, 'Bad Request: message is too long');
    const id = nextMessageId++;
    return {
      status: 200,
      body: { ok: true, result: { message_id: id, date: Math.floor(state.now() / 1000), chat: { id: body.chat_id }, text } },
    };
  },
  errorReply: (code, msg) =>
    typeof code === 'number' ? failure(code, msg ?? `error ${code}`) : failure(400, msg ?? `Bad Request: ${code}`),
  rateLimitReply: (sec) => ({
    status: 429,
    body: { ok: false, error_code: 429, description: `Too Many Requests: retry after ${sec}`, parameters: { retry_after: sec } },
  }),
};

export const telegramRoutes: RouteDef[] = [sendMessage];
