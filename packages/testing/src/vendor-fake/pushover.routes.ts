/**
 * Pushover: `POST /1/messages.json` (JSON or form body). Checks the application token, the user
 * key and its devices, the sound, the priority's retry/expire, and the 1024/250-character limits
 * of message and title; answers `{status: 1, request}` or a 4xx with `{status: 0, errors}`.
 */
import { randomUUID } from 'node:crypto';
import { asRecord, exactPath, str, type Reply, type RouteDef } from './fake.state.js';

const SOUNDS = new Set([
  'pushover', 'bike', 'bugle', 'cashregister', 'classical', 'cosmic', 'falling', 'gamelan', 'incoming', 'intermission', 'magic',
  'mechanical', 'pianobar', 'siren', 'spacealarm', 'tugboat', 'alien', 'climb', 'persistent', 'echo', 'updown', 'vibrate', 'none',
]);

const fail = (field: string, error: string, status = 400): Reply => ({
  status,
  body: { [field]: 'invalid', errors: [error], status: 0, request: randomUUID() },
});

function fieldsOf(raw: string, body: unknown, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw).entries());
  return asRecord(body);
}

const messages: RouteDef = {
  name: 'pushover.messages',
  vendor: 'pushover',
  method: 'POST',
  match: exactPath('/pushover/1/messages.json'),
  handle(req, state) {
    const cfg = state.opts.pushover ?? {};
    const f = fieldsOf(req.rawBody, req.body, req.headers['content-type']);
    const token = str(f.token);
    if (!token || (cfg.tokens ? !cfg.tokens.includes(token) : !/^[A-Za-z0-9]{30}$/.test(token))) return fail('token', 'application token is invalid');
    const user = str(f.user);
    if (!user || !/^[A-Za-z0-9]{30}$/.test(user) || (cfg.users && !Object.hasOwn(cfg.users, user))) {
      return fail('user', 'user identifier is not a valid user, group, or subscribed user key');
    }
    const devices = str(f.device)?.split(',').filter((d) => d !== '') ?? [];
    const known = cfg.users?.[user];
    for (const d of devices) if (known && !known.includes(d)) return fail('device', `device name is not valid for user: ${d}`);
    const message = str(f.message);
    if (!message) return fail('message', 'message cannot be blank');
    if ([...message].length > 1024) return fail('message', 'message is too long');
    const title = str(f.title);
    if (title !== undefined && [...title].length > 250) return fail('title', 'title is too long');
    const sound = str(f.sound);
    if (sound !== undefined && !SOUNDS.has(sound)) return fail('sound', 'sound is invalid');
    const priority = f.priority === undefined ? 0 : Number(f.priority);
    if (!Number.isInteger(priority) || priority < -2 || priority > 2) return fail('priority', 'priority is invalid');
    if (priority === 2) {
      const retry = Number(f.retry);
      const expire = Number(f.expire);
      if (!(retry >= 30)) return fail('retry', 'retry is invalid (at least 30 seconds for emergency priority)');
      if (!(expire > 0 && expire <= 10800)) return fail('expire', 'expire is invalid (at most 10800 seconds)');
    }
    return { status: 200, body: { status: 1, request: randomUUID() } };
  },
  errorReply: (code, msg) =>
    typeof code === 'number'
      ? { status: code, body: { errors: [msg ?? `error ${code}`], status: 0, request: randomUUID() } }
      : { status: 400, body: { errors: [msg ?? code], status: 0, request: randomUUID() } },
  rateLimitReply: (sec) => ({
    status: 429,
    headers: { 'retry-after': String(sec) },
    body: { errors: ['application has exceeded its message limit'], status: 0, request: randomUUID() },
  }),
};

export const pushoverRoutes: RouteDef[] = [messages];
