/**
 * PagerDuty Events API v2: `POST /v2/enqueue`. Checks the routing key, the event action, the
 * dedup key (≤255 characters, required to resolve), the trigger payload (summary ≤1024
 * characters, source, one of the four severities) and the 512 KB event limit; answers 202
 * `{status: "success", dedup_key}`, 400 `{status: "invalid event", errors}`, and 429
 * `{status: "throttle event"}`. Triggers open (or add to) an incident per dedup key, resolves
 * close it.
 */
import { randomBytes } from 'node:crypto';
import { asRecord, exactPath, str, utf8Bytes, type Reply, type RouteDef } from './fake.state.js';

const SEVERITIES = ['critical', 'error', 'warning', 'info'];
const MAX_EVENT_BYTES = 512 * 1024;

const invalid = (...errors: string[]): Reply => ({ status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors } });

const enqueue: RouteDef = {
  name: 'pagerduty.enqueue',
  vendor: 'pagerduty',
  method: 'POST',
  match: exactPath('/pagerduty/v2/enqueue'),
  handle(req, state) {
    if (req.body === undefined) return invalid('Invalid JSON');
    if (utf8Bytes(req.rawBody) > MAX_EVENT_BYTES) return invalid('Event object is larger than 512 KB');
    const body = asRecord(req.body);
    const routingKey = str(body.routing_key);
    const known = state.opts.pagerduty?.routingKeys;
    if (!routingKey || (known ? !known.includes(routingKey) : routingKey.length !== 32)) return invalid("'routing_key' is invalid");
    const action = str(body.event_action);
    if (!action || !['trigger', 'acknowledge', 'resolve'].includes(action)) return invalid("'event_action' must be one of trigger, acknowledge, resolve");
    let dedupKey = str(body.dedup_key);
    if (dedupKey !== undefined && [...dedupKey].length > 255) return invalid("'dedup_key' must be at most 255 characters");
    if (action === 'trigger') {
      const payload = asRecord(body.payload);
      const summary = str(payload.summary);
      const errors: string[] = [];
      if (!summary) errors.push("'payload.summary' is missing or blank");
      else if ([...summary].length > 1024) errors.push("'payload.summary' must be at most 1024 characters");
      if (!str(payload.source)) errors.push("'payload.source' is missing or blank");
      if (!SEVERITIES.includes(str(payload.severity) ?? '')) errors.push("'payload.severity' must be one of critical, error, warning, info");
      if (errors.length > 0) return invalid(...errors);
      dedupKey ??= randomBytes(16).toString('hex');
      state.incidents.open('pagerduty', routingKey, dedupKey, summary!);
    } else {
      if (!dedupKey) return invalid("'dedup_key' is required to " + action);
      if (action === 'resolve') state.incidents.close('pagerduty', routingKey, dedupKey);
    }
    return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: dedupKey } };
  },
  errorReply: (code, msg) => ({ status: typeof code === 'number' ? code : 400, body: { status: 'invalid event', message: msg ?? String(code), errors: [msg ?? String(code)] } }),
  rateLimitReply: (sec) => ({
    status: 429,
    headers: { 'retry-after': String(sec) },
    body: { status: 'throttle event', message: 'Requests for this service are arriving too quickly.  Please retry later.' },
  }),
};

export const pagerdutyRoutes: RouteDef[] = [enqueue];
