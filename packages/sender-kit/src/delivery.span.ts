/** The sender's delivery span: the parent of the channel's outbound calls. */
import type { SendResult } from '@nm/channels';
import type { Channel, Notification } from '@nm/contracts';
import { inSpan, SpanKind } from '@nm/telemetry';

/**
 * Runs one delivery by the channel inside a CLIENT span, so its outbound HTTP requests carry this
 * span's `traceparent` (the receiving system joins the trace) and an SMTP call is timed under it.
 * The units' outcomes are attributes (`nm.delivery.units.<status>`), with the first failure's
 * message. Without tracing it only calls `send`.
 */
export function deliverySpan(channel: Channel, n: Notification, attempt: number, send: () => Promise<SendResult>): Promise<SendResult> {
  return inSpan(
    `${channel} deliver`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'nm.stage': `sender-${channel}`,
        'nm.channel': channel,
        'nm.notification.id': n.id,
        'nm.receiver': `${n.receiver.tenant}/${n.receiver.name}`,
        'nm.alerts': n.alerts.length,
        'nm.attempt': attempt,
      },
    },
    async (span) => {
      const result = await send();
      if (span.isRecording()) {
        const statuses: Record<string, number> = {};
        for (const o of result.outcomes) statuses[o.status] = (statuses[o.status] ?? 0) + 1;
        for (const [status, count] of Object.entries(statuses)) span.setAttribute(`nm.delivery.units.${status}`, count);
        const failed = result.outcomes.find((o) => o.status === 'failed');
        if (failed?.error) span.setAttributes({ 'error.message': failed.error.message, ...(failed.error instanceof Error && 'code' in failed.error ? { 'error.type': String(failed.error.code) } : {}) });
      }
      return result;
    },
  );
}
