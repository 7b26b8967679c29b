/**
 * Maps a Receiver's dingtalk section and the Config it uses (notification-manager §1.4, §1.5,
 * §3.5) to a `DingtalkTarget`: `chatbot` becomes a custom-robot post (webhook, signing secret,
 * keywords, @mentions) and needs no Config; `conversation.chatids` become enterprise-conversation
 * messages with the Config's `conversation.appkey` / `appsecret`. `options.dingtalk`
 * (`notificationTimeout`, the two message sizes and the two throttles) becomes the target's
 * `timeoutMs` and `limits`, so it applies per notification.
 */
import type { DingtalkLimits, DingtalkTarget, RateLimit } from '@nm/channels';
import { parseDuration, type DingTalkReceiver } from '@nm/model';
import { configOf, idsOf, requireFields, robotOf, targetError, timeoutOf, tmplTypeOf, type DeliveryJob } from '@nm/sender-kit';

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
  return tmplTypeOf(job) === 'markdown' ? 'markdown' : 'text';
}

const chatIdsOf = (job: DeliveryJob): string[] => idsOf((job.section as DingTalkReceiver).conversation?.chatids);

function chatbotOf(job: DeliveryJob): DingtalkTarget['chatbot'] {
  const bot = (job.section as DingTalkReceiver).chatbot;
  if (!bot) return undefined;
  const atMobiles = idsOf(bot.atMobiles);
  const atUserIds = idsOf(bot.atUsers);
  return {
    ...robotOf(job, bot),
    ...(atMobiles.length ? { atMobiles } : {}),
    ...(atUserIds.length ? { atUserIds } : {}),
    ...(bot.atAll !== undefined ? { atAll: bot.atAll } : {}),
  };
}

function conversationOf(job: DeliveryJob): DingtalkTarget['conversation'] {
  const chatIds = chatIdsOf(job);
  if (chatIds.length === 0) return undefined;
  const { config, section } = configOf(job, job.config?.spec.dingtalk?.conversation, 'a dingtalk.conversation section', 'conversation chatids need appkey and appsecret');
  const { appkey, appsecret } = requireFields(job, config, 'dingtalk.conversation', {
    appkey: job.credential(section.appkey),
    appsecret: job.credential(section.appsecret),
  });
  return { appKey: appkey, appSecret: appsecret, chatIds };
}

/** The DingTalk target of a job; chat ids without a usable Config, or nothing to send to, is a PermanentError. */
export function dingtalkTargetOf(job: DeliveryJob): DingtalkTarget {
  const chatbot = chatbotOf(job);
  const conversation = conversationOf(job);
  if (!chatbot && !conversation) throw targetError(job, 'no-destination', 'dingtalk names neither a chatbot nor conversation chatids');
  const limits = dingtalkLimitsOf(job);
  return {
    format: dingtalkFormatOf(job),
    ...(chatbot ? { chatbot } : {}),
    ...(conversation ? { conversation } : {}),
    ...timeoutOf(job),
    ...(limits ? { limits } : {}),
  };
}

/** Secret-free destination of a job that failed before any unit was tried. */
export function describeDingtalkDestination(job: DeliveryJob): string {
  return [...((job.section as DingTalkReceiver).chatbot ? ['chatbot'] : []), ...chatIdsOf(job).map((id) => `chat:${id}`)].join(' ');
}
