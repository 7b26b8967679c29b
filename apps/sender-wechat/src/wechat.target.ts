/**
 * Maps a Receiver's wechat section and the Config it uses (notification-manager §1.4, §1.5,
 * §3.2, §3.3) to a `WechatTarget`: `toUser` / `toParty` / `toTag` become an application message
 * with the Config's corp id, agent id, secret and `wechatApiUrl`; `chatbot` becomes a group-robot
 * post and needs no Config. `options.wechat.messageMaxSize` bounds application messages and
 * `options.wechat.notificationTimeout` becomes the target's per-request `timeoutMs`.
 */
import { PermanentError } from '@nm/errors';
import type { WechatTarget } from '@nm/channels';
import type { WechatReceiver } from '@nm/model';
import type { DeliveryJob } from '@nm/sender-kit';
import { channelFormat } from '@nm/templates';

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
const ids = (list: readonly string[] | undefined): string[] => (list ?? []).map((s) => s.trim()).filter((s) => s !== '');

/** The template type rendering uses: the receiver's, else `options.wechat.tmplType`, else text. */
export function wechatFormatOf(job: DeliveryJob): 'text' | 'markdown' {
  const type = channelFormat('wechat', text(job.section['tmplType']) ?? text(job.channelOptions?.['tmplType'])).tmplType;
  return type === 'markdown' ? 'markdown' : 'text';
}

function recipientsOf(job: DeliveryJob): { toUser: string[]; toParty: string[]; toTag: string[] } {
  const s = job.section as WechatReceiver;
  return { toUser: ids(s.toUser), toParty: ids(s.toParty), toTag: ids(s.toTag) };
}

function appOf(job: DeliveryJob): WechatTarget['app'] {
  const name = job.receiver.metadata.name;
  const { toUser, toParty, toTag } = recipientsOf(job);
  if (toUser.length + toParty.length + toTag.length === 0) return undefined;
  const cfg = job.config?.spec.wechat;
  if (!job.config || !cfg) {
    throw new PermanentError(
      `receiver ${name}: no Config with a wechat section qualifies (toUser, toParty and toTag need wechatApiCorpId, wechatApiAgentId and wechatApiSecret)`,
      { code: 'wechat:no-config' },
    );
  }
  const secret = job.credential(cfg.wechatApiSecret);
  const missing = [
    ...(cfg.wechatApiCorpId ? [] : ['wechatApiCorpId']),
    ...(cfg.wechatApiAgentId ? [] : ['wechatApiAgentId']),
    ...(secret ? [] : ['wechatApiSecret']),
  ];
  if (missing.length > 0 || !secret) {
    throw new PermanentError(`receiver ${name}: Config ${job.config.metadata.name} has no wechat.${missing.join(', wechat.')}`, { code: 'wechat:invalid-config' });
  }
  const maxBytes = job.channelOptions?.['messageMaxSize'];
  const apiUrl = text(cfg.wechatApiUrl)?.trim();
  return {
    config: {
      ...(apiUrl ? { apiUrl } : {}),
      corpId: cfg.wechatApiCorpId,
      agentId: cfg.wechatApiAgentId,
      secret,
    },
    ...(toUser.length ? { toUser } : {}),
    ...(toParty.length ? { toParty } : {}),
    ...(toTag.length ? { toTag } : {}),
    ...(typeof maxBytes === 'number' && Number.isInteger(maxBytes) && maxBytes > 0 ? { maxBytes } : {}),
  };
}

function chatbotOf(job: DeliveryJob): WechatTarget['chatbot'] {
  const bot = (job.section as WechatReceiver).chatbot;
  if (!bot) return undefined;
  const webhookUrl = job.credential(bot.webhook)?.trim();
  if (!webhookUrl) {
    throw new PermanentError(`receiver ${job.receiver.metadata.name}: wechat.chatbot.webhook is empty`, { code: 'wechat:invalid-chatbot' });
  }
  const atUsers = ids(bot.atUsers);
  const atMobiles = ids(bot.atMobiles);
  return { webhookUrl, ...(atUsers.length ? { atUsers } : {}), ...(atMobiles.length ? { atMobiles } : {}) };
}

/** The WeCom target of a job; recipients without a usable Config, or nothing to send to, is a PermanentError. */
export function wechatTargetOf(job: DeliveryJob): WechatTarget {
  const app = appOf(job);
  const chatbot = chatbotOf(job);
  if (!app && !chatbot) {
    throw new PermanentError(`receiver ${job.receiver.metadata.name}: wechat names none of toUser, toParty, toTag or chatbot`, { code: 'wechat:no-destination' });
  }
  return {
    format: wechatFormatOf(job),
    ...(app ? { app } : {}),
    ...(chatbot ? { chatbot } : {}),
    ...(job.notificationTimeoutMs !== undefined ? { timeoutMs: job.notificationTimeoutMs } : {}),
  };
}

/** Secret-free destination of a job that failed before any unit was tried. */
export function describeWechatDestination(job: DeliveryJob): string {
  const { toUser, toParty, toTag } = recipientsOf(job);
  return [
    toUser.length ? `user:${toUser.join('|')}` : '',
    toParty.length ? `party:${toParty.join('|')}` : '',
    toTag.length ? `tag:${toTag.join('|')}` : '',
    (job.section as WechatReceiver).chatbot ? 'chatbot' : '',
  ]
    .filter(Boolean)
    .join(' ');
}
