import { describe, expect, it } from '@jest/globals';
import { describeFeishuDestination, feishuTargetOf } from './feishu.target.js';
import { errorOf, jobOf, secretRef, type JobFixture } from '@nm/sender-kit/testing';

const secrets = {
  'nm-system/feishu': { hook: 'https://open.feishu.cn/open-apis/bot/v2/hook/h1', secret: 'SEC2', id: 'cli_1', appsecret: 'app-secret' },
};
const job = (fx: JobFixture) => jobOf('feishu', { secrets, ...fx });
const appConfig = { name: 'default-feishu', section: { appID: secretRef('feishu', 'id'), appSecret: secretRef('feishu', 'appsecret') } };

describe('feishuTargetOf', () => {
  it('maps the chatbot (signing secret, keywords) and users and departments with the Config app', () => {
    const j = job({
      section: {
        user: ['ou_1', ''],
        department: ['od_1'],
        chatbot: { webhook: secretRef('feishu', 'hook'), secret: secretRef('feishu', 'secret'), keywords: ['alert'] },
      },
      configs: [appConfig],
    });
    expect(feishuTargetOf(j)).toEqual({
      format: 'post',
      chatbot: { webhookUrl: 'https://open.feishu.cn/open-apis/bot/v2/hook/h1', secret: 'SEC2', keywords: ['alert'] },
      app: { appId: 'cli_1', appSecret: 'app-secret', users: ['ou_1'], departments: ['od_1'] },
    });
    expect(describeFeishuDestination(j)).toBe('chatbot user:ou_1 department:od_1');
  });

  it('needs no Config for a chatbot alone and takes tmplType from the receiver, else the option, else post', () => {
    const section = { chatbot: { webhook: { value: 'https://bot.example/hook/x' } } };
    expect(feishuTargetOf(job({ section }))).toEqual({ format: 'post', chatbot: { webhookUrl: 'https://bot.example/hook/x' } });
    expect(feishuTargetOf(job({ section: { ...section, tmplType: 'text' } })).format).toBe('text');
    expect(feishuTargetOf(job({ section, options: { feishu: { tmplType: 'text' } } })).format).toBe('text');
    expect(feishuTargetOf(job({ section: { ...section, tmplType: 'post' }, options: { feishu: { tmplType: 'text' } } })).format).toBe('post');
  });

  it('refuses permanently: users without a Config or app credentials, nothing to send to', () => {
    expect(errorOf(() => feishuTargetOf(job({ section: { user: ['ou_1'] } })))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: no Config with a feishu section qualifies (user and department need appID and appSecret)',
      code: 'feishu:no-config',
    });
    expect(errorOf(() => feishuTargetOf(job({ section: { department: ['od_1'] }, configs: [{ name: 'empty', section: {} }] })))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: Config empty has no feishu.appID, feishu.appSecret',
    });
    expect(errorOf(() => feishuTargetOf(job({ section: { user: [] } })))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: feishu names none of user, department or chatbot',
    });
  });

  it('maps options.feishu.notificationTimeout (seconds) to the per-request timeoutMs', () => {
    const section = { chatbot: { webhook: secretRef('feishu', 'hook') } };
    expect(feishuTargetOf(job({ section, options: { feishu: { notificationTimeout: 5 } } })).timeoutMs).toBe(5000);
    expect(feishuTargetOf(job({ section }))).not.toHaveProperty('timeoutMs');
  });
});
