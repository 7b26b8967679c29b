import { receiverKey, subjects, type Notification, type ReceiverRef } from '@nm/contracts';
import { formatTraceparent, inSpan, SpanKind, traceparentOf, type Link, type SpanContext } from '@nm/telemetry';

/** Most links one notification span carries (one per distinct trace of its alerts). */
const MAX_LINKS = 128;

/**
 * The notification's PRODUCER span: a child of its alerts' trace when they all came in one trace
 * (one POST), else the root of a new trace; either way it links to the span that handled each
 * distinct alert trace. The notification is published under it, so the sender continues it.
 */
export function notificationSpan<T>(
  group: { traces: ReadonlyMap<string, SpanContext>; receiver: ReceiverRef; groupKey: string },
  n: Pick<Notification, 'id'>,
  alertIds: readonly string[],
  publish: (traceparent: string | undefined) => Promise<T>,
): Promise<T> {
  const byTrace = new Map<string, SpanContext>();
  for (const id of alertIds) {
    const sc = group.traces.get(id);
    if (sc && !byTrace.has(sc.traceId) && byTrace.size < MAX_LINKS) byTrace.set(sc.traceId, sc);
  }
  const contexts = [...byTrace.values()];
  const links: Link[] = contexts.map((context) => ({ context, attributes: { 'nm.link': 'alert' } }));
  return inSpan(
    'aggregator notify',
    {
      parent: contexts.length === 1 ? formatTraceparent(contexts[0]!) : null,
      kind: SpanKind.PRODUCER,
      links,
      attributes: {
        'messaging.system': 'nats',
        'messaging.operation.type': 'publish',
        'messaging.destination.name': subjects.notify(group.receiver.channel),
        'messaging.message.id': n.id,
        'nm.stage': 'aggregator',
        'nm.notification.id': n.id,
        'nm.receiver': `${group.receiver.tenant}/${receiverKey(group.receiver)}`,
        'nm.channel': group.receiver.channel,
        'nm.group_key': group.groupKey,
        'nm.alerts': alertIds.length,
        'nm.alert_traces': contexts.length,
      },
    },
    (span) => publish(traceparentOf(span)),
  );
}
