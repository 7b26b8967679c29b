/**
 * Maps a Receiver's dingtalk section and the Config it uses (notification-manager §1.4, §1.5,
 * §3.5) to a `DingtalkTarget`: `chatbot` becomes a custom-robot post (webhook, signing secret,
 * keywords, @mentions) and needs no Config; `conversation.chatids` become enterprise-conversation
 * messages with the Config's `conversation.appkey` / `appsecret`. `options.dingtalk`
 * (`notificationTimeout`, the two message sizes and the two throttles) becomes the target's
 * `timeoutMs` and `limits`, so it applies per notification.
 */
import { PermanentError } from '@nm/errors';
import type { DingtalkLimits, DingtalkTarget, RateLimit } from '@nm/channels';
import { parseDuration, type DingTalkReceiver } from '@nm/model';
import type { DeliveryJob } from '@nm/sender-kit';
import { channelFormat } from '@nm/templates';

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
const ids = (list: readonly string[] | undefined): string[] => (list ?? []).map((s) => s.trim()).filter((s) => s !== '');

const positiveInt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);

/** A Go duration string or integer nanoseconds, in ms; anything unparsable counts as unset. */
function durationMs(v: unknown): number | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  try {
    return parseDuration(v);
  } catch {
    return undefined;
  }
}

/** `{threshold, unit, maxWaitTime}` → the fields of a rate limit it sets. */
function throttleOf(v: unknown): Partial<RateLimit> | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const t = v as Record<string, unknown>;
  const limit = positiveInt(t['threshold']);
  const windowMs = durationMs(t['unit']);
  const maxWaitMs = durationMs(t['maxWaitTime']);
  const out: Partial<RateLimit> = {
    ...(limit !== undefined ? { limit } : {}),
    ...(windowMs !== undefined && windowMs > 0 ? { windowMs } : {}),
    ...(maxWaitMs !== undefined ? { maxWaitMs } : {}),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The split sizes and throttles of `options.dingtalk`, or undefined when none is set. */
export function dingtalkLimitsOf(job: DeliveryJob): DingtalkLimits | undefined {
  const o = job.channelOptions ?? {};
  const chatbotMaxBytes = positiveInt(o['chatbotMessageMaxSize']);
  const conversationMaxBytes = positiveInt(o['conversationMessageMaxSize']);
  const chatbotRateLimit = throttleOf(o['chatBotThrottle']);
  const conversationRateLimit = throttleOf(o['conversationThrottle']);
  const limits: DingtalkLimits = {
    ...(chatbotMaxBytes !== undefined ? { chatbotMaxBytes } : {}),
    ...(conversationMaxBytes !== undefined ? { conversationMaxBytes } : {}),
    ...(chatbotRateLimit ? { chatbotRateLimit } : {}),
    ...(conversationRateLimit ? { conversationRateLimit } : {}),
  };
  return Object.keys(limits).length > 0 ? limits : undefined;
}

/** The template type rendering uses: the receiver's, else `options.dingtalk.tmplType`, else text. */
export function dingtalkFormatOf(job: DeliveryJob): 'text' | 'markdown' {
  const type = channelFormat('dingtalk', text(job.section['tmplType']) ?? text(job.channelOptions?.['tmplType'])).tmplType;
  return type === 'markdown' ? 'markdown' : 'text';
}

const chatIdsOf = (job: DeliveryJob): string[] => ids((job.section as DingTalkReceiver).conversation?.chatids);

function chatbotOf(job: DeliveryJob): DingtalkTarget['chatbot'] {
  const bot = (job.section as DingTalkReceiver).chatbot;
  if (!bot) return undefined;
  const webhookUrl = job.credential(bot.webhook)?.trim();
  if (!webhookUrl) {
    throw new PermanentError(`receiver ${job.receiver.metadata.name}: dingtalk.chatbot.webhook is empty`, { code: 'dingtalk:invalid-chatbot' });
  }
  const secret = job.credential(bot.secret);
  const keywords = ids(bot.keywords);
  const atMobiles = ids(bot.atMobiles);
  const atUserIds = ids(bot.atUsers);
  return {
    webhookUrl,
    ...(secret ? { secret } : {}),
    ...(keywords.length ? { keywords } : {}),
    ...(atMobiles.length ? { atMobiles } : {}),
    ...(atUserIds.length ? { atUserIds } : {}),
    ...(bot.atAll !== undefined ? { atAll: bot.atAll } : {}),
  };
}

function conversationOf(job: DeliveryJob): DingtalkTarget['conversation'] {
  const name = job.receiver.metadata.name;
  const chatIds = chatIdsOf(job);
  if (chatIds.length === 0) return undefined;
  const conversation = job.config?.spec.dingtalk?.conversation;
  if (!job.config || !conversation) {
    throw new PermanentError(`receiver ${name}: no Config with a dingtalk.conversation section qualifies (conversation chatids need appkey and appsecret)`, {
      code: 'dingtalk:no-config',
    });
  }
  const appKey = job.credential(conversation.appkey);
  const appSecret = job.credential(conversation.appsecret);
  if (!appKey || !appSecret) {
    const missing = [...(appKey ? [] : ['appkey']), ...(appSecret ? [] : ['appsecret'])];
    throw new PermanentError(`receiver ${name}: Config ${job.config.metadata.name} has no dingtalk.conversation.${missing.join(', dingtalk.conversation.')}`, {
      code: 'dingtalk:invalid-config',
    });
  }
  return { appKey, appSecret, chatIds };
}

/** The DingTalk target of a job; chat ids without a usable Config, or nothing to send to, is a PermanentError. */
export function dingtalkTargetOf(job: DeliveryJob): DingtalkTarget {
  const chatbot = chatbotOf(job);
  const conversation = conversationOf(job);
  if (!chatbot && !conversation) {
    throw new PermanentError(`receiver ${job.receiver.metadata.name}: dingtalk names neither a chatbot nor conversation chatids`, {
      code: 'dingtalk:no-destination',
    });
  }
  const limits = dingtalkLimitsOf(job);
  return {
    format: dingtalkFormatOf(job),
    ...(chatbot ? { chatbot } : {}),
    ...(conversation ? { conversation } : {}),
    ...(job.notificationTimeoutMs !== undefined ? { timeoutMs: job.notificationTimeoutMs } : {}),
    ...(limits ? { limits } : {}),
  };
}

/** Secret-free destination of a job that failed before any unit was tried. */
export function describeDingtalkDestination(job: DeliveryJob): string {
  return [...((job.section as DingTalkReceiver).chatbot ? ['chatbot'] : []), ...chatIdsOf(job).map((id) => `chat:${id}`)].join(' ');
}
