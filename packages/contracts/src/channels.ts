/** Every delivery channel the system knows. The names are the Receiver/Config spec keys. */
export const CHANNELS = [
  'email',
  'wechat',
  'slack',
  'webhook',
  'dingtalk',
  'sms',
  'pushover',
  'feishu',
  'discord',
  'telegram',
  'teams',
  'pagerduty',
  'opsgenie',
  'googlechat',
] as const;
export type Channel = (typeof CHANNELS)[number];

export function isChannel(value: string): value is Channel {
  return (CHANNELS as readonly string[]).includes(value);
}
