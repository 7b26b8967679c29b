import { describe, expect, it } from '@jest/globals';
import { describeDingtalkDestination, dingtalkLimitsOf, dingtalkTargetOf } from './dingtalk.target.js';
import { errorOf, jobOf, secretRef, type JobFixture } from '@nm/sender-kit/testing';

const secrets = {
  'nm-system/dingtalk': { webhook: 'https://oapi.dingtalk.com/robot/send?access_token=t1', secret: 'SEC1', appkey: 'key-1', appsecret: 'app-secret' },
};
const job = (fx: JobFixture) => jobOf('dingtalk', { secrets, ...fx });
const appConfig = { name: 'default-dingtalk', section: { conversation: { appkey: secretRef('dingtalk', 'appkey'), appsecret: secretRef('dingtalk', 'appsecret') } } };

describe('dingtalkTargetOf', () => {
  it('maps the chatbot (signing secret, keywords, mentions) and conversation chat ids with the Config app', () => {
    const j = job({
      section: {
        chatbot: {
          webhook: secretRef('dingtalk', 'webhook'),
          secret: secretRef('dingtalk', 'secret'),
          keywords: ['alert'],
          atMobiles: ['13800000000'],
          atUsers: ['user-1'],
          atAll: false,
        },
        conversation: { chatids: ['chat-1', ' ', 'chat-2'] },
      },
      configs: [appConfig],
    });
    expect(dingtalkTargetOf(j)).toEqual({
      format: 'text',
      chatbot: {
        webhookUrl: 'https://oapi.dingtalk.com/robot/send?access_token=t1',
        secret: 'SEC1',
        keywords: ['alert'],
        atMobiles: ['13800000000'],
        atUserIds: ['user-1'],
        atAll: false,
      },
      conversation: { appKey: 'key-1', appSecret: 'app-secret', chatIds: ['chat-1', 'chat-2'] },
    });
    expect(describeDingtalkDestination(j)).toBe('chatbot chat:chat-1 chat:chat-2');
  });

  it('needs no Config for a chatbot alone and takes tmplType from the receiver, else the option, else text', () => {
    const section = { chatbot: { webhook: { value: 'https://robot.example/send?access_token=x' } } };
    expect(dingtalkTargetOf(job({ section }))).toEqual({ format: 'text', chatbot: { webhookUrl: 'https://robot.example/send?access_token=x' } });
    expect(dingtalkTargetOf(job({ section: { ...section, tmplType: 'markdown' } })).format).toBe('markdown');
    expect(dingtalkTargetOf(job({ section, options: { dingtalk: { tmplType: 'markdown' } } })).format).toBe('markdown');
  });

  it('refuses permanently: chat ids without a Config or app credentials, nothing to send to, an empty webhook', () => {
    const chats = { conversation: { chatids: ['chat-1'] } };
    expect(errorOf(() => dingtalkTargetOf(job({ section: chats })))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: no Config with a dingtalk.conversation section qualifies (conversation chatids need appkey and appsecret)',
      code: 'dingtalk:no-config',
    });
    const noSecret = { name: 'half', section: { conversation: { appkey: { value: 'k' } } } };
    expect(errorOf(() => dingtalkTargetOf(job({ section: chats, configs: [noSecret] })))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: Config half has no dingtalk.conversation.appsecret',
    });
    expect(errorOf(() => dingtalkTargetOf(job({ section: { conversation: { chatids: [] } } })))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: dingtalk names neither a chatbot nor conversation chatids',
    });
    expect(errorOf(() => dingtalkTargetOf(job({ section: { chatbot: { webhook: { value: ' ' } } } })))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: dingtalk.chatbot.webhook is empty',
    });
  });

  it('maps options.dingtalk: notificationTimeout, message sizes and throttles (Go durations or integer nanoseconds)', () => {
    const section = { chatbot: { webhook: { value: 'https://robot.example/send?access_token=x' } } };
    const options = {
      dingtalk: {
        notificationTimeout: 4,
        chatbotMessageMaxSize: 4000,
        conversationMessageMaxSize: 2000,
        chatBotThrottle: { threshold: 10, unit: '30s', maxWaitTime: 5_000_000_000 },
        conversationThrottle: { threshold: 5 },
      },
    };
    expect(dingtalkTargetOf(job({ section, options }))).toEqual({
      format: 'text',
      chatbot: { webhookUrl: 'https://robot.example/send?access_token=x' },
      timeoutMs: 4000,
      limits: {
        chatbotMaxBytes: 4000,
        conversationMaxBytes: 2000,
        chatbotRateLimit: { limit: 10, windowMs: 30_000, maxWaitMs: 5000 },
        conversationRateLimit: { limit: 5 },
      },
    });
    expect(dingtalkLimitsOf(job({ section, options: { dingtalk: { chatBotThrottle: { unit: 60_000_000_000, maxWaitTime: '0' } } } }))).toEqual({
      chatbotRateLimit: { windowMs: 60_000, maxWaitMs: 0 },
    });
  });

  it('ignores unusable option values and leaves the sender defaults', () => {
    const section = { chatbot: { webhook: { value: 'https://robot.example/send?access_token=x' } } };
    const options = { dingtalk: { notificationTimeout: 0, chatbotMessageMaxSize: -1, conversationMessageMaxSize: 1.5, chatBotThrottle: { threshold: 0, unit: 'soon' } } };
    const target = dingtalkTargetOf(job({ section, options }));
    expect(target).not.toHaveProperty('timeoutMs');
    expect(target).not.toHaveProperty('limits');
  });
});
