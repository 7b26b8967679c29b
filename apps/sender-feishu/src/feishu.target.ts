/**
 * Maps a Receiver's feishu section and the Config it uses (notification-manager §1.4, §1.5, §3.6)
 * to a `FeishuTarget`: `chatbot` becomes a custom-bot post (webhook, signing secret, keywords) and
 * needs no Config; `user` / `department` become app messages with the Config's `appID` /
 * `appSecret`.
 */
import { PermanentError } from '@nm/errors';
import type { FeishuFormat, FeishuTarget } from '@nm/channels';
import type { FeishuReceiver } from '@nm/model';
import type { DeliveryJob } from '@nm/sender-kit';
import { channelFormat } from '@nm/templates';

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
const ids = (list: readonly string[] | undefined): string[] => (list ?? []).map((s) => s.trim()).filter((s) => s !== '');

/** The template type rendering uses: the receiver's, else `options.feishu.tmplType`, else post. */
export function feishuFormatOf(job: DeliveryJob): FeishuFormat {
  const type = channelFormat('feishu', text(job.section['tmplType']) ?? text(job.channelOptions?.['tmplType'])).tmplType;
  return type === 'text' ? 'text' : 'post';
}

function recipientsOf(job: DeliveryJob): { users: string[]; departments: string[] } {
  const s = job.section as FeishuReceiver;
  return { users: ids(s.user), departments: ids(s.department) };
}

function chatbotOf(job: DeliveryJob): FeishuTarget['chatbot'] {
  const bot = (job.section as FeishuReceiver).chatbot;
  if (!bot) return undefined;
  const webhookUrl = job.credential(bot.webhook)?.trim();
  if (!webhookUrl) {
    throw new PermanentError(`receiver ${job.receiver.metadata.name}: feishu.chatbot.webhook is empty`, { code: 'feishu:invalid-chatbot' });
  }
  const secret = job.credential(bot.secret);
  const keywords = ids(bot.keywords);
  return { webhookUrl, ...(secret ? { secret } : {}), ...(keywords.length ? { keywords } : {}) };
}

function appOf(job: DeliveryJob): FeishuTarget['app'] {
  const name = job.receiver.metadata.name;
  const { users, departments } = recipientsOf(job);
  if (users.length + departments.length === 0) return undefined;
  const cfg = job.config?.spec.feishu;
  if (!job.config || !cfg) {
    throw new PermanentError(`receiver ${name}: no Config with a feishu section qualifies (user and department need appID and appSecret)`, {
      code: 'feishu:no-config',
    });
  }
  const appId = job.credential(cfg.appID);
  const appSecret = job.credential(cfg.appSecret);
  if (!appId || !appSecret) {
    const missing = [...(appId ? [] : ['appID']), ...(appSecret ? [] : ['appSecret'])];
    throw new PermanentError(`receiver ${name}: Config ${job.config.metadata.name} has no feishu.${missing.join(', feishu.')}`, { code: 'feishu:invalid-config' });
  }
  return { appId, appSecret, ...(users.length ? { users } : {}), ...(departments.length ? { departments } : {}) };
}

/** The Feishu target of a job; users or departments without a usable Config, or nothing to send to, is a PermanentError. */
export function feishuTargetOf(job: DeliveryJob): FeishuTarget {
  const chatbot = chatbotOf(job);
  const app = appOf(job);
  if (!chatbot && !app) {
    throw new PermanentError(`receiver ${job.receiver.metadata.name}: feishu names none of user, department or chatbot`, { code: 'feishu:no-destination' });
  }
  return {
    format: feishuFormatOf(job),
    ...(chatbot ? { chatbot } : {}),
    ...(app ? { app } : {}),
    // options.feishu.notificationTimeout: per-request timeout of bot, token and app calls
    ...(job.notificationTimeoutMs !== undefined ? { timeoutMs: job.notificationTimeoutMs } : {}),
  };
}

/** Secret-free destination of a job that failed before any unit was tried. */
export function describeFeishuDestination(job: DeliveryJob): string {
  const { users, departments } = recipientsOf(job);
  return [
    (job.section as FeishuReceiver).chatbot ? 'chatbot' : '',
    users.length ? `user:${users.join('|')}` : '',
    departments.length ? `department:${departments.join('|')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}
