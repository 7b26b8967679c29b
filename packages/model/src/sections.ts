import { CHANNELS, type Channel } from '@nm/contracts';
import type { LabelSelector } from './crd/common.schema.js';
import type { Config } from './crd/config.schema.js';
import type { Receiver, ReceiverSectionCommon } from './crd/receiver.schema.js';

/** Every non-null channel section of a Receiver, in `CHANNELS` order: one internal receiver each. */
export function receiverSections(receiver: Receiver): Array<{ channel: Channel; section: ReceiverSectionCommon }> {
  const out: Array<{ channel: Channel; section: ReceiverSectionCommon }> = [];
  const spec = receiver.spec as Record<string, unknown>;
  for (const channel of CHANNELS) {
    const section = spec[channel];
    if (section !== undefined && section !== null && typeof section === 'object') {
      out.push({ channel, section: section as ReceiverSectionCommon });
    }
  }
  return out;
}

/** A Receiver's section for one channel, if it has one. */
export function receiverSection(receiver: Receiver, channel: Channel): ReceiverSectionCommon | undefined {
  const section = (receiver.spec as Record<string, unknown>)[channel];
  return section !== undefined && section !== null && typeof section === 'object' ? (section as ReceiverSectionCommon) : undefined;
}

/** A Config's section for one channel, if it has one. */
export function configSection(config: Config, channel: Channel): Record<string, unknown> | undefined {
  const section = (config.spec as Record<string, unknown>)[channel];
  return section !== undefined && section !== null && typeof section === 'object' ? (section as Record<string, unknown>) : undefined;
}

/** `<channel>ConfigSelector` of a receiver section (Discord has none). */
export function configSelectorOf(section: ReceiverSectionCommon, channel: Channel): LabelSelector | undefined {
  return section[`${channel}ConfigSelector`] as LabelSelector | undefined;
}

/** A section is enabled unless `enabled: false`. */
export function isEnabled(obj: { enabled?: boolean | undefined } | undefined): boolean {
  return obj?.enabled !== false;
}
