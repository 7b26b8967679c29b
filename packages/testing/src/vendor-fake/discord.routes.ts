/**
 * Discord webhooks: `POST /api/webhooks/<id>/<token>`. Checks the webhook, that the message has
 * content or embeds, the 2000-character content and 4096-character embed description limits and
 * the shape of `allowed_mentions`; answers 204 (200 with the message under `?wait=true`), 404
 * `Unknown Webhook`, 400 form errors, and 429 `{retry_after, global}` with Retry-After.
 */
import { asRecord, prefixPath, str, type Reply, type RouteDef } from './fake.state.js';

let nextId = 1_100_000_000_000_000_000n;

const formError = (errors: Record<string, unknown>): Reply => ({ status: 400, body: { code: 50035, message: 'Invalid Form Body', errors } });
const isIdList = (v: unknown): boolean => v === undefined || (Array.isArray(v) && v.every((x) => typeof x === 'string' && /^\d+$/.test(x)));

const webhook: RouteDef = {
  name: 'discord.webhook',
  vendor: 'discord',
  method: 'POST',
  match: prefixPath('/discord/api/webhooks/'),
  handle(req, state) {
    const known = state.opts.discord?.webhooks;
    const path = req.params[0] ?? '';
    if (!/^\d+\/[^/]+$/.test(path) || (known && !known.includes(path))) return { status: 404, body: { message: 'Unknown Webhook', code: 10015 } };
    if (req.body === undefined) return { status: 400, body: { message: 'Cannot send an empty message', code: 50006 } };
    const body = asRecord(req.body);
    const content = str(body.content) ?? '';
    const embeds = Array.isArray(body.embeds) ? body.embeds.map(asRecord) : [];
    if (content === '' && embeds.length === 0) return { status: 400, body: { message: 'Cannot send an empty message', code: 50006 } };
    if ([...content].length > 2000) return formError({ content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] } });
    if (embeds.length > 10) return formError({ embeds: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 10 or fewer in length.' }] } });
    for (const [i, e] of embeds.entries()) {
      if ([...(str(e.description) ?? '')].length > 4096) {
        return formError({ embeds: { [i]: { description: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 4096 or fewer in length.' }] } } } });
      }
    }
    const allowed = body.allowed_mentions === undefined ? undefined : asRecord(body.allowed_mentions);
    if (allowed && (!isIdList(allowed.users) || !isIdList(allowed.roles))) return formError({ allowed_mentions: { _errors: [{ code: 'SNOWFLAKE_INVALID' }] } });
    if (req.query.wait === 'true') {
      nextId += 1n;
      return { status: 200, body: { id: String(nextId), content, embeds, timestamp: new Date(state.now()).toISOString() } };
    }
    return { status: 204, body: '' };
  },
  errorReply: (code, msg) =>
    typeof code === 'number'
      ? { status: code, body: { message: msg ?? `error ${code}`, code: 0 } }
      : { status: 400, body: { message: msg ?? code, code: 0 } },
  rateLimitReply: (sec) => ({
    status: 429,
    headers: { 'retry-after': String(Math.ceil(sec)), 'x-ratelimit-scope': 'user' },
    body: { message: 'You are being rate limited.', retry_after: sec, global: false },
  }),
};

export const discordRoutes: RouteDef[] = [webhook];
