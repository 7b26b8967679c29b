import { describe, expect, it } from '@jest/globals';
import { describeWechatDestination, wechatTargetOf } from './wechat.target.js';
import { errorOf, jobOf, secretRef, type JobFixture } from '@nm/sender-kit/testing';

const secrets = { 'nm-system/wecom': { secret: 'corp-secret', bot: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1' } };
const job = (fx: JobFixture) => jobOf('wechat', { secrets, ...fx });
const appConfig = {
  name: 'default-wechat',
  section: { wechatApiUrl: 'http://wecom.local/cgi-bin/', wechatApiCorpId: 'corp-1', wechatApiAgentId: '1000002', wechatApiSecret: secretRef('wecom', 'secret') },
};

describe('wechatTargetOf', () => {
  it('sends to users, parties and tags with the Config app (wechatApiUrl included) and to the chatbot', () => {
    const j = job({
      section: {
        toUser: ['alice', ' ', 'bob'],
        toParty: ['2'],
        toTag: ['ops'],
        chatbot: { webhook: secretRef('wecom', 'bot'), atUsers: ['@all'], atMobiles: ['13800000000'] },
      },
      configs: [appConfig],
      options: { wechat: { messageMaxSize: 1024 } },
    });
    expect(wechatTargetOf(j)).toEqual({
      format: 'text',
      app: {
        config: { apiUrl: 'http://wecom.local/cgi-bin/', corpId: 'corp-1', agentId: '1000002', secret: 'corp-secret' },
        toUser: ['alice', 'bob'],
        toParty: ['2'],
        toTag: ['ops'],
        maxBytes: 1024,
      },
      chatbot: { webhookUrl: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1', atUsers: ['@all'], atMobiles: ['13800000000'] },
    });
    expect(describeWechatDestination(j)).toBe('user:alice|bob party:2 tag:ops chatbot');
  });

  it('leaves the API URL to the sender default when the Config has none, and needs no Config for a chatbot alone', () => {
    const { wechatApiUrl: _u, ...noUrl } = appConfig.section;
    expect(wechatTargetOf(job({ section: { toParty: ['2'] }, configs: [{ name: 'c', section: noUrl }] })).app?.config).toEqual({
      corpId: 'corp-1',
      agentId: '1000002',
      secret: 'corp-secret',
    });
    expect(wechatTargetOf(job({ section: { chatbot: { webhook: { value: 'https://bot.example/send?key=k' } } } }))).toEqual({
      format: 'text',
      chatbot: { webhookUrl: 'https://bot.example/send?key=k' },
    });
  });

  it('takes tmplType from the receiver, else options.wechat.tmplType, else text', () => {
    const section = { chatbot: { webhook: { value: 'https://bot.example/send?key=k' } } };
    expect(wechatTargetOf(job({ section: { ...section, tmplType: 'markdown' } })).format).toBe('markdown');
    expect(wechatTargetOf(job({ section, options: { wechat: { tmplType: 'markdown' } } })).format).toBe('markdown');
    expect(wechatTargetOf(job({ section: { ...section, tmplType: 'text' }, options: { wechat: { tmplType: 'markdown' } } })).format).toBe('text');
  });

  it('refuses permanently: recipients without a Config or with an incomplete one, nothing to send to', () => {
    expect(errorOf(() => wechatTargetOf(job({ section: { toUser: ['alice'] } })))).toMatchObject({
      name: 'PermanentError',
      message:
        'receiver ops: no Config with a wechat section qualifies (toUser, toParty and toTag need wechatApiCorpId, wechatApiAgentId and wechatApiSecret)',
      code: 'wechat:no-config',
    });
    const incomplete = { name: 'half', section: { wechatApiCorpId: 'corp-1', wechatApiAgentId: '', wechatApiSecret: { value: '' } } };
    expect(errorOf(() => wechatTargetOf(job({ section: { toUser: ['alice'] }, configs: [incomplete] })))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: Config half has no wechat.wechatApiAgentId, wechat.wechatApiSecret',
    });
    expect(errorOf(() => wechatTargetOf(job({ section: { toUser: [] } })))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: wechat names none of toUser, toParty, toTag or chatbot',
    });
  });

  it('maps options.wechat.notificationTimeout (seconds) to the per-request timeoutMs', () => {
    const section = { chatbot: { webhook: secretRef('wecom', 'bot') } };
    expect(wechatTargetOf(job({ section, options: { wechat: { notificationTimeout: 7 } } })).timeoutMs).toBe(7000);
    expect(wechatTargetOf(job({ section }))).not.toHaveProperty('timeoutMs');
  });
});
