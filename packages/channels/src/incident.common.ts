/**
 * What the incident channels (PagerDuty, Opsgenie) share: one event per notification, whose
 * action follows the alerts (any firing → open, all resolved → close), keyed by the group so that
 * every notification of a group opens, updates and closes the same incident.
 */
import { createHash } from 'node:crypto';
import type { OutgoingMessage, Rendered } from './channel.types.js';

/** `firing` while any alert of the notification fires; `resolved` when every one has resolved. */
export type IncidentStatus = 'firing' | 'resolved';

/** The whole notification rendered once (these channels send one event, never parts of one). */
export interface WholeMessage extends Rendered {
  status: IncidentStatus;
  alertIds: readonly string[];
  firing: number;
  resolved: number;
}

export function wholeMessage(message: OutgoingMessage): WholeMessage {
  if (message.kind === 'alerts') {
    const firing = message.alerts.filter((a) => a.status === 'firing').length;
    const resolved = message.alerts.length - firing;
    return { ...message.render(message.alerts), status: firing > 0 || message.alerts.length === 0 ? 'firing' : 'resolved', alertIds: message.alerts.map((a) => a.id), firing, resolved };
  }
  // Caller-rendered chunks carry no alert status: they open (or update) the incident.
  const title = message.chunks.find((c) => c.title !== undefined)?.title;
  return {
    ...(title !== undefined ? { title } : {}),
    body: message.chunks.map((c) => c.body).join('\n'),
    status: 'firing',
    alertIds: message.chunks.flatMap((c) => c.alertIds ?? []),
    firing: 0,
    resolved: 0,
  };
}

/**
 * The vendor's incident key for a group: the group key itself when it fits the vendor's limit
 * (readable in the vendor's UI), else `sha256:<hex>` of it. Either way the same group always
 * gives the same key.
 */
export function incidentKey(groupKey: string, maxChars: number): string {
  if (groupKey !== '' && [...groupKey].length <= maxChars) return groupKey;
  return `sha256:${createHash('sha256').update(groupKey).digest('hex')}`;
}

/** At most `max` characters (code points), the last one `…` when cut. */
export function cutChars(text: string, max: number): { text: string; truncated: number } {
  const chars = [...text];
  if (chars.length <= max) return { text, truncated: 0 };
  return { text: `${chars.slice(0, Math.max(0, max - 1)).join('')}…`, truncated: chars.length - (max - 1) };
}
