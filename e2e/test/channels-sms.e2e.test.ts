/**
 * SMS through its own process: sender-sms (NM_ALIYUN_SMS_URL, NM_TENCENT_SMS_URL, NM_AWS_SNS_URL
 * and a Huawei Config url aimed at the vendor fake) delivers one alert per provider. Each tenant
 * has a Config with one provider; the fake checks each signature scheme (Aliyun RPC, TC3, WSSE,
 * SigV4) with the keys from the tenants' Secrets and counts what arrives.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@nm/testing';
import { startVendorFake, type RecordedRequest, type RouteName, type VendorFake } from '@nm/testing/vendor-fake';
import { notificationManager } from './support/manifests.js';
import { SERVICES, SMS_SENDER, startStack, type Stack } from './support/stack.js';

const API = 'notification.kubesphere.io/v2beta2';
/** The NotificationManager of the other suites (Secrets in `default`), then the objects as JSON (JSON is YAML). */
const docs = (...objects: object[]): string => [notificationManager({ batchMaxWait: '300ms' }), ...objects.map((o) => `${JSON.stringify(o, null, 2)}\n`)].join('---\n');
const secretRef = (key: string): object => ({ valueFrom: { secretKeyRef: { name: 'sms-credentials', key } } });
const form = (r: RecordedRequest): Record<string, string> => Object.fromEntries(new URLSearchParams(r.rawBody));
const responseOf = (r: RecordedRequest): unknown => ('reset' in r.response ? undefined : r.response.body);

const PROVIDERS = ['aliyun', 'tencent', 'huawei', 'aws'] as const;
type Provider = (typeof PROVIDERS)[number];
const ROUTE: Record<Provider, RouteName> = { aliyun: 'aliyun.sendSms', tencent: 'tencent.sendSms', huawei: 'huawei.batchSendSms', aws: 'aws.publish' };
const NUMBERS: Record<Provider, string[]> = {
  aliyun: ['13800000001', '13800000002'],
  tencent: ['13800000003', '+14155550100'],
  huawei: ['13800000004'],
  aws: ['+8613800000005', '+447700900123'],
};
const alertname = (p: Provider): string => `SmsE2E${p[0]!.toUpperCase()}${p.slice(1)}`;

describe('sender-sms delivers through its own process to each provider', () => {
  let fake: VendorFake;
  let stack: Stack;

  beforeAll(async () => {
    fake = await startVendorFake({
      aliyun: { keys: { 'ali-e2e-id': 'ali-e2e-secret' } },
      tencent: { keys: { 'tc-e2e-id': 'tc-e2e-secret' } },
      huawei: { keys: { 'hw-e2e-key': 'hw-e2e-secret' } },
      aws: { keys: { AKIDE2E: 'aws-e2e-secret' } },
    });
    const providers: Record<Provider, object> = {
      aliyun: { signName: 'NM', templateCode: 'SMS_100', accessKeyId: secretRef('aliId'), accessKeySecret: secretRef('aliSecret') },
      tencent: { sign: 'NM', templateID: '100', smsSdkAppid: '1400000001', secretId: secretRef('tcId'), secretKey: secretRef('tcKey') },
      huawei: { url: fake.urls.huaweiSms, sender: 'csms100', templateId: 'tpl-100', appKey: secretRef('hwKey'), appSecret: secretRef('hwSecret') },
      aws: { region: 'eu-west-1', accessKeyId: secretRef('awsId'), secretAccessKey: secretRef('awsSecret') },
    };
    const manifests = docs(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'sms-credentials', namespace: 'default' },
        stringData: {
          aliId: 'ali-e2e-id',
          aliSecret: 'ali-e2e-secret',
          tcId: 'tc-e2e-id',
          tcKey: 'tc-e2e-secret',
          hwKey: 'hw-e2e-key',
          hwSecret: 'hw-e2e-secret',
          awsId: 'AKIDE2E',
          awsSecret: 'aws-e2e-secret',
        },
      },
      ...PROVIDERS.flatMap((p) => [
        {
          apiVersion: API,
          kind: 'Config',
          metadata: { name: `sms-${p}`, labels: { type: 'tenant', namespace: `team-${p}` } },
          // the provider named as default is the one configured; the tenant's receiver finds it
          spec: { sms: { defaultProvider: p, providers: { [p]: providers[p] } } },
        },
        {
          apiVersion: API,
          kind: 'Receiver',
          metadata: { name: `sms-${p}`, labels: { type: 'tenant', namespace: `team-${p}` } },
          spec: { sms: { phoneNumbers: NUMBERS[p] } },
        },
      ]),
    );
    stack = await startStack({
      manifests: { 'sms.yaml': manifests },
      services: [...SERVICES, SMS_SENDER],
      env: {
        'sender-sms': { NM_ALIYUN_SMS_URL: fake.urls.aliyunSms, NM_TENCENT_SMS_URL: fake.urls.tencentSms, NM_AWS_SNS_URL: fake.urls.awsSns },
      },
    });
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    await fake?.close();
  });

  it('sends one alert per provider, signed as each provider checks, to every number once', async () => {
    const res = await stack.postAlerts(
      PROVIDERS.map((p) => ({ labels: { alertname: alertname(p), namespace: `team-${p}`, severity: 'critical' }, annotations: { message: `disk full via ${p}` } })),
    );
    expect(res.status).toBe(200);
    const calls = (p: Provider): RecordedRequest[] => fake.requestsTo(ROUTE[p]);
    await waitFor(
      'every provider called',
      () => calls('aliyun').length >= 1 && calls('tencent').length >= 1 && calls('huawei').length >= 1 && calls('aws').length >= NUMBERS.aws.length,
      45_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${JSON.stringify(fake.requests.map((r) => [r.route, r.response]))}\n--- sender-sms\n${stack.logs(SMS_SENDER).slice(-3000)}`);
    });
    // nothing more arrives after a further flush window
    await new Promise((r) => setTimeout(r, 1500));

    // Aliyun: one SendSms for both numbers; Code OK means the fake accepted the RPC signature
    expect(calls('aliyun')).toHaveLength(1);
    const ali = form(calls('aliyun')[0]!);
    expect(ali).toMatchObject({ PhoneNumbers: NUMBERS.aliyun.join(','), SignName: 'NM', TemplateCode: 'SMS_100', AccessKeyId: 'ali-e2e-id' });
    expect((JSON.parse(ali.TemplateParam!) as { code: string }).code).toContain(alertname('aliyun'));
    expect(responseOf(calls('aliyun')[0]!)).toMatchObject({ Code: 'OK' });

    // Tencent: one SendSms; every number Ok (TC3 verified), the international one as written
    expect(calls('tencent')).toHaveLength(1);
    const tc = calls('tencent')[0]!;
    expect(tc.body).toMatchObject({ PhoneNumberSet: NUMBERS.tencent, SmsSdkAppId: '1400000001', SignName: 'NM', TemplateId: '100' });
    expect((tc.body as { TemplateParamSet: string[] }).TemplateParamSet[0]).toContain(alertname('tencent'));
    const statuses = (responseOf(tc) as { Response: { SendStatusSet: { Code: string; PhoneNumber: string }[] } }).Response.SendStatusSet;
    expect(statuses.map((s) => [s.PhoneNumber, s.Code])).toEqual([
      ['+8613800000003', 'Ok'],
      ['+14155550100', 'Ok'],
    ]);

    // Huawei: one batchSendSms to the Config url; WSSE verified, a status per number
    expect(calls('huawei')).toHaveLength(1);
    const hw = calls('huawei')[0]!;
    expect(form(hw)).toMatchObject({ from: 'csms100', to: '+8613800000004', templateId: 'tpl-100' });
    expect(responseOf(hw)).toMatchObject({ code: '000000', result: [{ originTo: '+8613800000004', status: '000000' }] });

    // AWS: one SigV4-signed Publish per number
    expect(calls('aws').map((r) => form(r).PhoneNumber).sort()).toEqual([...NUMBERS.aws].sort());
    for (const r of calls('aws')) {
      expect(r.response).toMatchObject({ status: 200 });
      expect(form(r).Message).toContain(alertname('aws'));
      expect(r.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDE2E\/\d{8}\/eu-west-1\/sns\/aws4_request, /);
    }

    // the sender recorded each notification as delivered, no failure
    const handled = stack
      .logs(SMS_SENDER)
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string; result?: string; receiver?: string });
    expect(handled.filter((l) => l.result !== undefined && l.result !== 'delivered')).toEqual([]);
  });

  it('redelivers a partly failed notification to the failed number only', async () => {
    const before = fake.requestsTo('tencent.sendSms').length;
    // the next SendSms: the first number accepted, the second failing with a retryable code
    fake.script({
      route: 'tencent.sendSms',
      body: {
        Response: {
          RequestId: 'partial-1',
          SendStatusSet: [
            { PhoneNumber: '+8613800000003', Code: 'Ok', SerialNo: 'serial-ok' },
            { PhoneNumber: '+14155550100', Code: 'InternalError.Timeout', Message: 'try again' },
          ],
        },
      },
    });
    const res = await stack.postAlerts([{ labels: { alertname: 'SmsE2EPartial', namespace: 'team-tencent' }, annotations: { message: 'half delivered' } }]);
    expect(res.status).toBe(200);
    const calls = (): RecordedRequest[] => fake.requestsTo('tencent.sendSms').slice(before);
    await waitFor('the redelivery', () => calls().length >= 2, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${stack.logs(SMS_SENDER).slice(-3000)}`);
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(calls().map((r) => (r.body as { PhoneNumberSet: string[] }).PhoneNumberSet)).toEqual([NUMBERS.tencent, ['+14155550100']]);
    expect(calls()[1]!.scripted).toBe(false);
    const statuses = (responseOf(calls()[1]!) as { Response: { SendStatusSet: { Code: string }[] } }).Response.SendStatusSet;
    expect(statuses.map((s) => s.Code)).toEqual(['Ok']);
  });
});
