/**
 * Maps a Receiver's feishu section and the Config it uses (notification-manager §1.4, §1.5, §3.6)
 * to a `FeishuTarget`: `chatbot` becomes a custom-bot post (webhook, signing secret, keywords) and
 * needs no Config; `user` / `department` become app messages with the Config's `appID` /
 * `appSecret`.
 */
import type { FeishuFormat, FeishuTarget } from '@nm/channels';
import type { FeishuReceiver } from '@nm/model';
import { configOf, idsOf, requireFields, robotOf, targetError, timeoutOf, tmplTypeOf, type DeliveryJob } from '@nm/sender-kit';

/** The template type rendering uses: the receiver's, else `options.feishu.tmplType`, else post. */
export function feishuFormatOf(job: DeliveryJob): FeishuFormat {
  return tmplTypeOf(job) === 'text' ? 'text' : 'post';
}

function recipientsOf(job: DeliveryJob): { users: string[]; departments: string[] } {
  const s = job.section as FeishuReceiver;
  return { users: idsOf(s.user), departments: idsOf(s.department) };
}

function chatbotOf(job: DeliveryJob): FeishuTarget['chatbot'] {
  const bot = (job.section as FeishuReceiver).chatbot;
  return bot ? robotOf(job, bot) : undefined;
}

function appOf(job: DeliveryJob): FeishuTarget['app'] {
  const { users, departments } = recipientsOf(job);
  if (users.length + departments.length === 0) return undefined;
  const { config, section } = configOf(job, job.config?.spec.feishu, 'a feishu section', 'user and department need appID and appSecret');
  const { appID, appSecret } = requireFields(job, config, 'feishu', { appID: job.credential(section.appID), appSecret: job.credential(section.appSecret) });
  return { appId: appID, appSecret, ...(users.length ? { users } : {}), ...(departments.length ? { departments } : {}) };
}

/** The Feishu target of a job; users or departments without a usable Config, or nothing to send to, is a PermanentError. */
export function feishuTargetOf(job: DeliveryJob): FeishuTarget {
  const chatbot = chatbotOf(job);
  const app = appOf(job);
  if (!chatbot && !app) throw targetError(job, 'no-destination', 'feishu names none of user, department or chatbot');
  return {
    format: feishuFormatOf(job),
    ...(chatbot ? { chatbot } : {}),
    ...(app ? { app } : {}),
    // options.feishu.notificationTimeout: per-request timeout of bot, token and app calls
    ...timeoutOf(job),
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
