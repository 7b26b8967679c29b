/**
 * Maps a Receiver's wechat section and the Config it uses (notification-manager §1.4, §1.5,
 * §3.2, §3.3) to a `WechatTarget`: `toUser` / `toParty` / `toTag` become an application message
 * with the Config's corp id, agent id, secret and `wechatApiUrl`; `chatbot` becomes a group-robot
 * post and needs no Config. `options.wechat.messageMaxSize` bounds application messages and
 * `options.wechat.notificationTimeout` becomes the target's per-request `timeoutMs`.
 */
import type { WechatTarget } from '@nm/channels';
import type { WechatReceiver } from '@nm/model';
import { chatbotWebhookOf, configOf, idsOf, requireFields, targetError, textOf, timeoutOf, tmplTypeOf, type DeliveryJob } from '@nm/sender-kit';

/** The template type rendering uses: the receiver's, else `options.wechat.tmplType`, else text. */
export function wechatFormatOf(job: DeliveryJob): 'text' | 'markdown' {
  return tmplTypeOf(job) === 'markdown' ? 'markdown' : 'text';
}

function recipientsOf(job: DeliveryJob): { toUser: string[]; toParty: string[]; toTag: string[] } {
  const s = job.section as WechatReceiver;
  return { toUser: idsOf(s.toUser), toParty: idsOf(s.toParty), toTag: idsOf(s.toTag) };
}

function appOf(job: DeliveryJob): WechatTarget['app'] {
  const { toUser, toParty, toTag } = recipientsOf(job);
  if (toUser.length + toParty.length + toTag.length === 0) return undefined;
  const needs = 'toUser, toParty and toTag need wechatApiCorpId, wechatApiAgentId and wechatApiSecret';
  const { config, section: cfg } = configOf(job, job.config?.spec.wechat, 'a wechat section', needs);
  const { wechatApiCorpId, wechatApiAgentId, wechatApiSecret } = requireFields(job, config, 'wechat', {
    wechatApiCorpId: cfg.wechatApiCorpId,
    wechatApiAgentId: cfg.wechatApiAgentId,
    wechatApiSecret: job.credential(cfg.wechatApiSecret),
  });
  const maxBytes = job.channelOptions?.['messageMaxSize'];
  const apiUrl = textOf(cfg.wechatApiUrl)?.trim();
  return {
    config: {
      ...(apiUrl ? { apiUrl } : {}),
      corpId: wechatApiCorpId,
      agentId: wechatApiAgentId,
      secret: wechatApiSecret,
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
  const webhookUrl = chatbotWebhookOf(job, bot.webhook);
  const atUsers = idsOf(bot.atUsers);
  const atMobiles = idsOf(bot.atMobiles);
  return { webhookUrl, ...(atUsers.length ? { atUsers } : {}), ...(atMobiles.length ? { atMobiles } : {}) };
}

/** The WeCom target of a job; recipients without a usable Config, or nothing to send to, is a PermanentError. */
export function wechatTargetOf(job: DeliveryJob): WechatTarget {
  const app = appOf(job);
  const chatbot = chatbotOf(job);
  if (!app && !chatbot) throw targetError(job, 'no-destination', 'wechat names none of toUser, toParty, toTag or chatbot');
  return {
    format: wechatFormatOf(job),
    ...(app ? { app } : {}),
    ...(chatbot ? { chatbot } : {}),
    ...timeoutOf(job),
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
