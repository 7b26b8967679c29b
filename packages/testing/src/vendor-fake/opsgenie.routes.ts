/**
 * Opsgenie Alert API: `POST /v2/alerts` (create) and `POST /v2/alerts/{identifier}/close`
 * (`identifierType` id, alias or tiny). Checks `Authorization: GenieKey <key>` and the fields'
 * limits (message 1-130, alias 512, description 15000, source 100, 20 tags of 50, priority
 * P1-P5, responder types); answers 202 `{result, took, requestId}`, 401, 422 with `errors`, 429.
 * A create opens an alert per alias, or counts a duplicate on the open one; a close closes it.
 */
import { asRecord, str, type Reply, type RouteDef } from './fake.state.js';

const requestId = (): string => `${Date.now().toString(16)}-${Math.random().toString(16).slice(2, 10)}`;
const accepted = (): Reply => ({ status: 202, body: { result: 'Request will be processed', took: 0.01, requestId: requestId() } });
const unprocessable = (errors: Record<string, string>): Reply => ({
  status: 422,
  body: { message: 'Request body is not processable. Please check the errors.', errors, took: 0.001, requestId: requestId() },
});

function apiKeyOf(headers: Record<string, string | undefined>, known: string[] | undefined): string | Reply {
  const key = /^GenieKey\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
  if (!key || (known && !known.includes(key))) return { status: 401, body: { message: 'Could not authenticate', took: 0, requestId: requestId() } };
  return key;
}

const len = (v: unknown): number => [...(str(v) ?? '')].length;

const errorReply = (code: number | string, msg?: string): Reply => ({
  status: typeof code === 'number' ? code : 422,
  body: { message: msg ?? String(code), took: 0, requestId: requestId() },
});
const rateLimitReply = (sec: number): Reply => ({
  status: 429,
  headers: { 'retry-after': String(sec) },
  body: { message: 'You are making too many requests! To avoid errors, we recommend you limit requests.', took: 0, requestId: requestId() },
});

const create: RouteDef = {
  name: 'opsgenie.create',
  vendor: 'opsgenie',
  method: 'POST',
  match: (path) => (path === '/opsgenie/v2/alerts' ? [] : undefined),
  handle(req, state) {
    const key = apiKeyOf(req.headers, state.opts.opsgenie?.apiKeys);
    if (typeof key !== 'string') return key;
    const body = asRecord(req.body);
    const errors: Record<string, string> = {};
    const message = str(body.message)?.trim();
    if (!message) errors.message = 'Message can not be empty.';
    else if (len(message) > 130) errors.message = 'Message can not be longer than 130 characters.';
    if (len(body.alias) > 512) errors.alias = 'Alias can not be longer than 512 characters.';
    if (len(body.description) > 15_000) errors.description = 'Description can not be longer than 15000 characters.';
    if (len(body.source) > 100) errors.source = 'Source can not be longer than 100 characters.';
    if (body.priority !== undefined && !['P1', 'P2', 'P3', 'P4', 'P5'].includes(str(body.priority) ?? '')) errors.priority = 'Priority should be one of [P1, P2, P3, P4, P5]';
    const tags = body.tags === undefined ? [] : Array.isArray(body.tags) ? body.tags : [null];
    if (tags.length > 20 || tags.some((t) => typeof t !== 'string' || len(t) > 50)) errors.tags = 'At most 20 tags of at most 50 characters.';
    const responders = body.responders === undefined ? [] : Array.isArray(body.responders) ? body.responders.map(asRecord) : [{}];
    responders.forEach((r, i) => {
      if (!['team', 'user', 'escalation', 'schedule'].includes(str(r.type) ?? '')) errors[`responders[${i}].type`] = 'Responder type should be one of [team, user, escalation, schedule]';
      if (!str(r.id) && !str(r.name) && !str(r.username)) errors[`responders[${i}]`] = 'Responder should have an id, name or username.';
    });
    if (Object.keys(errors).length > 0) return unprocessable(errors);
    // Opsgenie's alias defaults to the message
    state.incidents.open('opsgenie', key, str(body.alias) || message!, message!);
    return accepted();
  },
  errorReply,
  rateLimitReply,
};

const close: RouteDef = {
  name: 'opsgenie.close',
  vendor: 'opsgenie',
  method: 'POST',
  match: (path) => {
    const m = /^\/opsgenie\/v2\/alerts\/([^/]+)\/close$/.exec(path);
    return m ? [decodeURIComponent(m[1]!)] : undefined;
  },
  handle(req, state) {
    const key = apiKeyOf(req.headers, state.opts.opsgenie?.apiKeys);
    if (typeof key !== 'string') return key;
    const type = req.query.identifierType ?? 'id';
    if (!['id', 'alias', 'tiny'].includes(type)) return unprocessable({ identifierType: 'Identifier type should be one of [id, alias, tiny]' });
    if (len(asRecord(req.body).source) > 100) return unprocessable({ source: 'Source can not be longer than 100 characters.' });
    // closes asynchronously at Opsgenie: an unknown identifier is still accepted
    if (type === 'alias') state.incidents.close('opsgenie', key, req.params[0] ?? '');
    return accepted();
  },
  errorReply,
  rateLimitReply,
};

export const opsgenieRoutes: RouteDef[] = [create, close];
