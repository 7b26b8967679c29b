import { describe, expect, it } from '@jest/globals';
import { describeSmsDestination, smsTargetOf } from './sms.target.js';
import { errorOf, jobOf, secretRef, type JobFixture } from '@nm/sender-kit/testing';

const secrets = { 'nm-system/sms': { ak: 'ali-id', sk: 'ali-secret', tid: 'tc-id', tkey: 'tc-secret', hk: 'hw-key', hs: 'hw-secret', awsid: 'AKID', awssk: 'aws-secret' } };
const job = (fx: JobFixture) => jobOf('sms', { secrets, ...fx });
const aliyun = { signName: '告警', templateCode: 'SMS_1', accessKeyId: secretRef('sms', 'ak'), accessKeySecret: secretRef('sms', 'sk') };
const tencent = { sign: 'Ops', templateID: '449739', smsSdkAppid: '1400000000', secretId: secretRef('sms', 'tid'), secretKey: secretRef('sms', 'tkey') };
const huawei = { url: 'https://sms.example/sms/batchSendSms/v1', signature: 'Ops', templateId: 'tpl', sender: 'csms1', appKey: secretRef('sms', 'hk'), appSecret: secretRef('sms', 'hs') };
const aws = { region: 'eu-west-1', accessKeyId: secretRef('sms', 'awsid'), secretAccessKey: secretRef('sms', 'awssk') };
const section = { phoneNumbers: ['13800000000', ' +14155550100 ', ''] };
const config = (spec: Record<string, unknown>) => [{ name: 'sms-config', section: spec }];

describe('smsTargetOf', () => {
  it('takes the defaultProvider, credentials resolved, and the receiver phone numbers as configured', () => {
    const j = job({ section, configs: config({ defaultProvider: 'tencent', providers: { aliyun, tencent } }), options: { sms: { notificationTimeout: 4 } } });
    expect(smsTargetOf(j)).toEqual({
      provider: { provider: 'tencent', sign: 'Ops', templateId: '449739', smsSdkAppId: '1400000000', secretId: 'tc-id', secretKey: 'tc-secret' },
      phoneNumbers: ['13800000000', '+14155550100'],
      timeoutMs: 4000,
    });
    expect(describeSmsDestination(j)).toBe('13800000000 +14155550100');
  });

  it('without defaultProvider takes the first configured provider, not an arbitrary one', () => {
    expect(smsTargetOf(job({ section, configs: config({ providers: { huawei, aws } }) })).provider).toEqual({
      provider: 'huawei',
      url: 'https://sms.example/sms/batchSendSms/v1',
      signature: 'Ops',
      templateId: 'tpl',
      sender: 'csms1',
      appKey: 'hw-key',
      appSecret: 'hw-secret',
    });
    expect(smsTargetOf(job({ section, configs: config({ providers: { aws, aliyun } }) })).provider).toEqual({
      provider: 'aws',
      region: 'eu-west-1',
      accessKeyId: 'AKID',
      secretAccessKey: 'aws-secret',
    });
    expect(smsTargetOf(job({ section, configs: config({ providers: { aliyun: null, aliyunx: {}, aliyun2: aliyun, tencent } }) })).provider.provider).toBe('tencent');
    expect(smsTargetOf(job({ section, configs: config({ defaultProvider: 'aliyun', providers: { tencent, aliyun } }) })).provider).toEqual({
      provider: 'aliyun',
      signName: '告警',
      templateCode: 'SMS_1',
      accessKeyId: 'ali-id',
      accessKeySecret: 'ali-secret',
    });
  });

  it('refuses permanently: no numbers, no Config, an unknown or unconfigured defaultProvider, no provider, missing fields', () => {
    expect(errorOf(() => smsTargetOf(job({ section: { phoneNumbers: [' '] }, configs: config({ providers: { aws } }) })))).toMatchObject({
      name: 'PermanentError',
      code: 'sms:no-destination',
      message: 'receiver ops: sms.phoneNumbers is empty',
    });
    expect(errorOf(() => smsTargetOf(job({ section })))).toMatchObject({
      code: 'sms:no-config',
      message: 'receiver ops: no Config with an sms section qualifies (SMS needs a provider)',
    });
    expect(errorOf(() => smsTargetOf(job({ section, configs: config({ defaultProvider: 'twilio', providers: { aws } }) })))).toMatchObject({
      code: 'sms:invalid-config',
      message: 'receiver ops: Config sms-config: sms.defaultProvider "twilio" is not one of aliyun, tencent, huawei, aws',
    });
    expect(errorOf(() => smsTargetOf(job({ section, configs: config({ defaultProvider: 'aliyun', providers: { aws } }) })))).toMatchObject({
      message: 'receiver ops: Config sms-config: sms.defaultProvider aliyun has no sms.providers.aliyun section',
    });
    expect(errorOf(() => smsTargetOf(job({ section, configs: config({ providers: {} }) })))).toMatchObject({
      message: 'receiver ops: Config sms-config configures none of sms.providers.aliyun, sms.providers.tencent, sms.providers.huawei, sms.providers.aws',
    });
    expect(errorOf(() => smsTargetOf(job({ section, configs: config({ providers: { tencent: { sign: 'Ops', secretId: secretRef('sms', 'tid') } } }) })))).toMatchObject({
      code: 'sms:invalid-config',
      message: 'receiver ops: Config sms-config has no sms.providers.tencent.templateID, sms.providers.tencent.smsSdkAppid, sms.providers.tencent.secretKey',
    });
    expect(errorOf(() => smsTargetOf(job({ section, configs: config({ providers: { aws: { region: 'x', accessKeyId: secretRef('sms', 'missing') } } }) })))).toMatchObject({
      name: 'PermanentError',
    });
  });
});
