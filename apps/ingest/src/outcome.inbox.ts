import { ApiOutcomeSchema, subjects, type ApiOutcome } from '@nm/contracts';
import { BusUnavailableError, type BusConnection } from '@nm/bus';
import type { OutcomeInbox, OutcomeWaiter } from './send.routes.js';

/**
 * Outcomes of API sends over core NATS: a subscription on `nm.api.outcome.<requestId>`, opened
 * (and flushed to the server) before the notifications are published, so no outcome can be missed.
 */
export function natsOutcomeInbox(bus: () => BusConnection | undefined): OutcomeInbox {
  return {
    async open(requestId: string): Promise<OutcomeWaiter> {
      const b = bus();
      if (!b?.isConnected()) throw new BusUnavailableError('NATS is not connected');
      const received = new Map<string, ApiOutcome>();
      let wake: (() => void) | undefined;
      const sub = b.nc.subscribe(subjects.apiOutcome(requestId), {
        callback: (err, msg) => {
          if (err) return;
          try {
            const parsed = ApiOutcomeSchema.safeParse(JSON.parse(msg.string()));
            if (parsed.success && parsed.data.requestId === requestId) received.set(parsed.data.notificationId, parsed.data);
          } catch {
            return;
          }
          wake?.();
        },
      });
      await b.nc.flush();
      return {
        wait: async (count, timeoutMs) => {
          const until = Date.now() + timeoutMs;
          while (received.size < count && Date.now() < until) {
            await new Promise<void>((resolve) => {
              const t = setTimeout(resolve, Math.min(1000, Math.max(0, until - Date.now())));
              wake = () => {
                clearTimeout(t);
                resolve();
              };
            });
            wake = undefined;
          }
          return [...received.values()];
        },
        close: () => sub.unsubscribe(),
      };
    },
  };
}
