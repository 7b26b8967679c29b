/**
 * Microsoft Teams Workflows webhooks: `POST /teams/workflows/<id>` (the real ones end in
 * `/triggers/manual/paths/invoke?...&sig=<signature>`; the fake checks `sig` when the webhook
 * has one). The body must be a message with Adaptive Card attachments, each a card with a body,
 * the whole under 28 KB; answers 202, 400, 404 (unknown webhook), 401 (wrong sig), 413 and 429
 * with Retry-After.
 */
import { asRecord, prefixPath, str, utf8Bytes, type RouteDef } from './fake.state.js';

const MAX_BYTES = 28 * 1024;
const bad = (message: string): { status: number; body: unknown } => ({ status: 400, body: { error: { code: 'InvalidRequestContent', message } } });

const workflow: RouteDef = {
  name: 'teams.webhook',
  vendor: 'teams',
  method: 'POST',
  match: prefixPath('/teams/workflows/'),
  handle(req, state) {
    const id = req.params[0] ?? '';
    const known = state.opts.teams?.webhooks;
    if (known && !Object.hasOwn(known, id)) return { status: 404, body: { error: { code: 'WorkflowNotFound', message: `The workflow '${id}' could not be found.` } } };
    const sig = known?.[id];
    if (sig && req.query.sig !== sig) return { status: 401, body: { error: { code: 'DirectApiAuthorizationRequired', message: 'The request must be authenticated' } } };
    if (utf8Bytes(req.rawBody) > MAX_BYTES) return { status: 413, body: { error: { code: 'MessageSizeTooBig', message: `Message size is over the ${MAX_BYTES}-byte limit` } } };
    if (req.body === undefined) return bad('The request content is not valid JSON.');
    const body = asRecord(req.body);
    if (str(body.type) !== 'message') return bad("type must be 'message'");
    const attachments = Array.isArray(body.attachments) ? body.attachments.map(asRecord) : [];
    if (attachments.length === 0) return bad('attachments must hold at least one card');
    for (const a of attachments) {
      if (str(a.contentType) !== 'application/vnd.microsoft.card.adaptive') return bad('contentType must be application/vnd.microsoft.card.adaptive');
      const card = asRecord(a.content);
      if (str(card.type) !== 'AdaptiveCard' || !str(card.version)) return bad('content must be an AdaptiveCard with a version');
      const blocks = Array.isArray(card.body) ? card.body.map(asRecord) : [];
      if (blocks.length === 0 || blocks.some((b) => !str(b.type))) return bad('the card body must hold typed elements');
    }
    return { status: 202, body: '' };
  },
  errorReply: (code, msg) => ({ status: typeof code === 'number' ? code : 400, body: { error: { code: String(code), message: msg ?? String(code) } } }),
  rateLimitReply: (sec) => ({ status: 429, headers: { 'retry-after': String(sec) }, body: { error: { code: 'TooManyRequests', message: 'Rate limit is exceeded.' } } }),
};

export const teamsRoutes: RouteDef[] = [workflow];
