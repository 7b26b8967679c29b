import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startVendorFake, type RecordedRequest, type VendorFake } from '@nm/testing/vendor-fake';
import { PartialFailureError, PermanentError, RetryableError } from '@nm/errors';
import { deliveredKeysOf, failureOf } from './delivery.runner.js';
import { SmsSender, SmsUrlEnvSchema, type SmsTarget } from './sms.sender.js';
import { awsSnsUrl, huaweiTemplateParas, type AliyunSmsProvider, type AwsSmsProvider, type HuaweiSmsProvider, type SmsProvider, type TencentSmsProvider } from './sms.providers.js';
import { RecordingClock, alertMessage, alerts, textMessage } from './test-support/fixtures.js';

const aliyun: AliyunSmsProvider = { provider: 'aliyun', accessKeyId: 'ali-id', accessKeySecret: 'ali-secret', signName: '告警', templateCode: 'SMS_1' };
const tencent: TencentSmsProvider = { provider: 'tencent', secretId: 'tc-id', secretKey: 'tc-secret', smsSdkAppId: '1400000000', sign: 'Ops', templateId: '449739' };
const aws: AwsSmsProvider = { provider: 'aws', region: 'eu-west-1', accessKeyId: 'AKIDTEST', secretAccessKey: 'aws-secret' };
const form = (r: RecordedRequest): Record<string, string> => Object.fromEntries(new URLSearchParams(r.rawBody));
const numbers = (n: number, from = 13800000000): string[] => Array.from({ length: n }, (_, i) => String(from + i));

describe('SmsSender', () => {
  let fake: VendorFake;
  let clock: RecordingClock;
  let sender: SmsSender;
  let huawei: HuaweiSmsProvider;
  const target = (provider: SmsProvider, phoneNumbers: string[]): SmsTarget => ({ provider, phoneNumbers });

  beforeAll(async () => {
    fake = await startVendorFake({
      aliyun: { keys: { 'ali-id': 'ali-secret' }, failNumbers: ['13899999999'] },
      tencent: { keys: { 'tc-id': 'tc-secret' }, failNumbers: ['13899999999'] },
      huawei: { keys: { 'hw-key': 'hw-secret' }, failNumbers: ['+8613899999999'] },
      aws: { keys: { AKIDTEST: 'aws-secret' }, failNumbers: ['+15550000000'] },
    });
    // never fall back to a vendor's address: every URL must be the fake's
    for (const u of [fake.urls.aliyunSms, fake.urls.tencentSms, fake.urls.awsSns, fake.urls.huaweiSms]) {
      if (!u?.startsWith('http://127.0.0.1:')) throw new Error(`the vendor fake has no SMS url (${String(u)}): rebuild @nm/testing`);
    }
    huawei = { provider: 'huawei', url: fake.urls.huaweiSms, appKey: 'hw-key', appSecret: 'hw-secret', sender: 'csms12345678', templateId: 'tpl-1', signature: 'Ops' };
  });
  afterAll(async () => fake.close());
  beforeEach(() => {
    fake.reset();
    clock = new RecordingClock();
    sender = new SmsSender({ aliyunUrl: fake.urls.aliyunSms, tencentUrl: fake.urls.tencentSms, awsUrl: fake.urls.awsSns, clock });
  });

  it('reads NM_ALIYUN_SMS_URL, NM_TENCENT_SMS_URL and NM_AWS_SNS_URL with vendor defaults', () => {
    expect(SmsUrlEnvSchema.parse({})).toEqual({
      NM_ALIYUN_SMS_URL: 'https://dysmsapi.aliyuncs.com/',
      NM_TENCENT_SMS_URL: 'https://sms.tencentcloudapi.com/',
      NM_AWS_SNS_URL: 'https://sns.{region}.amazonaws.com/',
    });
    expect(SmsUrlEnvSchema.parse({ NM_ALIYUN_SMS_URL: 'http://127.0.0.1:9/ali' }).NM_ALIYUN_SMS_URL).toBe('http://127.0.0.1:9/ali/');
    expect(() => SmsUrlEnvSchema.parse({ NM_TENCENT_SMS_URL: 'ftp://x' })).toThrow('must be an http(s) URL');
    expect(awsSnsUrl('https://sns.{region}.amazonaws.com/', 'ap-east-1')).toBe('https://sns.ap-east-1.amazonaws.com/');
  });

  describe('Aliyun SendSms', () => {
    it('posts a signed form with every number and the message JSON-escaped in TemplateParam; OK is delivered', async () => {
      const text = 'alertname = "KubePodCrashLooping"\nsummary = pod {a} is\tdown';
      const res = await sender.send(target(aliyun, ['13800000000', '+85290000000']), textMessage(text));
      const [req] = fake.requestsTo('aliyun.sendSms');
      expect(req!.response).toMatchObject({ status: 200, body: { Code: 'OK' } });
      const f = form(req!);
      expect(f).toMatchObject({
        Action: 'SendSms',
        Version: '2017-05-25',
        Format: 'JSON',
        AccessKeyId: 'ali-id',
        PhoneNumbers: '13800000000,+85290000000',
        SignName: '告警',
        TemplateCode: 'SMS_1',
        SignatureMethod: 'HMAC-SHA1',
        SignatureVersion: '1.0',
      });
      expect(JSON.parse(f.TemplateParam!)).toEqual({ code: text });
      expect(f.TemplateParam).toContain('\\"KubePodCrashLooping\\"\\nsummary');
      expect(res.status).toBe('delivered');
      expect(res.outcomes.map((o) => [o.destination, o.status, o.key])).toEqual([
        ['13800000000', 'delivered', 'phone:13800000000#0/1'],
        ['+85290000000', 'delivered', 'phone:+85290000000#0/1'],
      ]);
      expect(res.outcomes[0]!.upstreamMessageId).toMatch(/^biz-/);
    });

    it('sends at most 1000 numbers per call', async () => {
      const list = numbers(2500);
      const res = await sender.send(target(aliyun, list), textMessage('x'));
      expect(fake.requestsTo('aliyun.sendSms').map((r) => form(r).PhoneNumbers!.split(',').length)).toEqual([1000, 1000, 500]);
      expect(fake.requestsTo('aliyun.sendSms').flatMap((r) => form(r).PhoneNumbers!.split(','))).toEqual(list);
      expect(res.status).toBe('delivered');
      expect(res.outcomes).toHaveLength(2500);
    });

    it('retries isv.BUSINESS_LIMIT_CONTROL later (a minute) and fails other codes permanently', async () => {
      fake.script({ route: 'aliyun.sendSms', error: 'isv.BUSINESS_LIMIT_CONTROL', errmsg: 'flow control' });
      const limited = await sender.send(target(aliyun, ['13800000000']), textMessage('x'));
      const err = failureOf(limited);
      expect(err).toBeInstanceOf(RetryableError);
      expect(err).toMatchObject({ code: 'aliyun:isv.BUSINESS_LIMIT_CONTROL', retryAfterMs: 60_000 });
      expect(fake.requestsTo('aliyun.sendSms')).toHaveLength(1);

      const illegal = await sender.send(target(aliyun, ['13899999999', '13800000001']), textMessage('x'));
      expect(failureOf(illegal)).toBeInstanceOf(PermanentError);
      expect(illegal.outcomes.map((o) => o.error?.code)).toEqual(['aliyun:isv.MOBILE_NUMBER_ILLEGAL', 'aliyun:isv.MOBILE_NUMBER_ILLEGAL']);
    });

    it('is refused by the fake when signed with another secret, a permanent failure', async () => {
      const res = await sender.send(target({ ...aliyun, accessKeySecret: 'wrong' }, ['13800000000']), textMessage('x'));
      expect(fake.requestsTo('aliyun.sendSms')[0]!.response).toMatchObject({ status: 400, body: { Code: 'SignatureDoesNotMatch' } });
      expect(failureOf(res)).toMatchObject({ name: 'PermanentError', code: 'aliyun:SignatureDoesNotMatch' });
    });

    it('retries throttling, 5xx and dropped connections', async () => {
      fake.script({ route: 'aliyun.sendSms', retryAfterSec: 3 });
      expect(failureOf(await sender.send(target(aliyun, ['13800000000']), textMessage('x')))).toMatchObject({ name: 'RetryableError', code: 'aliyun:Throttling.User' });
      fake.script({ route: 'aliyun.sendSms', status: 503, body: 'busy' });
      expect(failureOf(await sender.send(target(aliyun, ['13800000000']), textMessage('x')))).toMatchObject({ name: 'RetryableError', code: 'aliyun:http-503' });
      fake.script({ route: 'aliyun.sendSms', reset: true });
      expect(failureOf(await sender.send(target(aliyun, ['13800000000']), textMessage('x')))).toBeInstanceOf(RetryableError);
    });
  });

  describe('Tencent SendSms', () => {
    it('posts TC3-signed JSON with the numbers as configured (international ones not rewritten to +86)', async () => {
      const res = await sender.send(target(tencent, ['13800000000', '+14155550100']), textMessage('disk full'));
      const [req] = fake.requestsTo('tencent.sendSms');
      expect(req!.headers).toMatchObject({
        'content-type': 'application/json; charset=utf-8',
        'x-tc-action': 'SendSms',
        'x-tc-version': '2021-01-11',
        'x-tc-region': 'ap-guangzhou',
      });
      expect(req!.headers.authorization).toMatch(/^TC3-HMAC-SHA256 Credential=tc-id\/\d{4}-\d\d-\d\d\/sms\/tc3_request, SignedHeaders=content-type;host, Signature=[0-9a-f]{64}$/);
      expect(req!.body).toEqual({ PhoneNumberSet: ['13800000000', '+14155550100'], SmsSdkAppId: '1400000000', SignName: 'Ops', TemplateId: '449739', TemplateParamSet: ['disk full'] });
      expect(res.status).toBe('delivered');
      expect(res.outcomes.every((o) => o.upstreamMessageId?.startsWith('serial-'))).toBe(true);
    });

    it('reports per number: rejected numbers fail permanently while the others are delivered', async () => {
      const res = await sender.send(target(tencent, ['13800000000', '13899999999']), textMessage('x'));
      expect(res.outcomes.map((o) => [o.destination, o.status, o.error?.code])).toEqual([
        ['13800000000', 'delivered', undefined],
        ['13899999999', 'failed', 'tencent:InvalidParameterValue.IncorrectPhoneNumber'],
      ]);
      const err = failureOf(res);
      expect(err).toBeInstanceOf(PartialFailureError);
      expect(err).toMatchObject({ delivered: ['13800000000'] });
    });

    it('retries a number over its rate limit later, and a redelivery sends only that number', async () => {
      fake.script({
        route: 'tencent.sendSms',
        body: {
          Response: {
            RequestId: 'r1',
            SendStatusSet: [
              { PhoneNumber: '+8613800000000', Code: 'Ok', SerialNo: 's-1' },
              { PhoneNumber: '+8613800000001', Code: 'LimitExceeded.PhoneNumberThirtySecondLimit', Message: 'too often' },
            ],
          },
        },
      });
      const first = await sender.send(target(tencent, ['13800000000', '13800000001']), textMessage('x'));
      expect(first.outcomes.map((o) => o.status)).toEqual(['delivered', 'failed']);
      expect(failureOf(first)).toMatchObject({ name: 'RetryableError', code: 'tencent:LimitExceeded.PhoneNumberThirtySecondLimit', retryAfterMs: 30_000 });
      const again = await sender.send(target(tencent, ['13800000000', '13800000001']), textMessage('x'), { deliveredKeys: deliveredKeysOf(first) });
      expect(fake.requestsTo('tencent.sendSms')[1]!.body).toMatchObject({ PhoneNumberSet: ['13800000001'] });
      expect(again.outcomes.map((o) => o.status)).toEqual(['duplicate', 'delivered']);
      expect(again.status).toBe('delivered');
    });

    it('splits into calls of 200 numbers and classifies request errors', async () => {
      await sender.send(target(tencent, numbers(450)), textMessage('x'));
      expect(fake.requestsTo('tencent.sendSms').map((r) => (r.body as { PhoneNumberSet: string[] }).PhoneNumberSet.length)).toEqual([200, 200, 50]);
      fake.reset();
      fake.script({ route: 'tencent.sendSms', retryAfterSec: 1 });
      expect(failureOf(await sender.send(target(tencent, ['13800000000']), textMessage('x')))).toMatchObject({ name: 'RetryableError', code: 'tencent:RequestLimitExceeded' });
      const bad = await sender.send(target({ ...tencent, secretKey: 'nope' }, ['13800000000']), textMessage('x'));
      expect(failureOf(bad)).toMatchObject({ name: 'PermanentError', code: 'tencent:AuthFailure.SignatureFailure' });
    });
  });

  describe('Huawei batchSendSms', () => {
    it('posts the WSSE-signed form to the Config url, +86 only for numbers without a country code', async () => {
      const text = 'alertname = KubeNodeNotReady\nseverity = critical\nnode = worker-1\ndeployment = a-very-long-deployment-name';
      const res = await sender.send(target(huawei, ['13800000000', '+447700900123']), textMessage(text));
      const [req] = fake.requestsTo('huawei.batchSendSms');
      expect(req!.response).toMatchObject({ status: 200, body: { code: '000000' } });
      expect(req!.headers.authorization).toBe('WSSE realm="SDP",profile="UsernameToken",type="Appkey"');
      expect(req!.headers['x-wsse']).toMatch(/^UsernameToken Username="hw-key",PasswordDigest="[A-Za-z0-9+/=]+",Nonce="[0-9a-f]{32}",Created="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"$/);
      const created = /Created="([^"]+)"/.exec(req!.headers['x-wsse']!)![1]!;
      expect(Math.abs(Date.parse(created) - Date.now())).toBeLessThan(5000);
      expect(form(req!)).toEqual({
        from: 'csms12345678',
        to: '+8613800000000,+447700900123',
        templateId: 'tpl-1',
        templateParas: JSON.stringify(['KubeNodeNotReady', 'critical', '', '', '', '', 'worker-1', '', 'a-very-long-deployme', '']),
        statusCallback: '',
        signature: 'Ops',
      });
      expect(res.status).toBe('delivered');
    });

    it('reports per number, splits at 500, and retries 429', async () => {
      const res = await sender.send(target(huawei, ['13800000000', '13899999999']), textMessage('plain text'));
      expect(res.outcomes.map((o) => [o.status, o.error?.code])).toEqual([
        ['delivered', undefined],
        ['failed', 'huawei:E200028'],
      ]);
      expect(failureOf(res)).toBeInstanceOf(PartialFailureError);
      fake.reset();
      await sender.send(target(huawei, numbers(600)), textMessage('x'));
      expect(fake.requestsTo('huawei.batchSendSms').map((r) => form(r).to!.split(',').length)).toEqual([500, 100]);
      fake.script({ route: 'huawei.batchSendSms', retryAfterSec: 7 });
      expect(failureOf(await sender.send(target(huawei, ['13800000000']), textMessage('x')))).toMatchObject({ name: 'RetryableError', retryAfterMs: 7000 });
      const bad = await sender.send(target({ ...huawei, appSecret: 'nope' }, ['13800000000']), textMessage('x'));
      expect(failureOf(bad)).toMatchObject({ name: 'PermanentError', code: 'huawei:E000003' });
    });

    it('takes template parameters from key = value lines, else the first 20 characters', () => {
      expect(huaweiTemplateParas('no pairs in this text at all')).toEqual(['no pairs in this tex']);
      expect(huaweiTemplateParas('pod = p-1\nnamespace = ns\nstatefulset = db')).toEqual(['', '', '', '', '', '', '', 'ns', 'db', 'p-1']);
    });
  });

  describe('AWS SNS Publish', () => {
    it('publishes once per number with SigV4; a rejected number fails alone', async () => {
      const res = await sender.send(target(aws, ['+8613800000000', '+15550000000', '+447700900123']), alertMessage(alerts(2)));
      const reqs = fake.requestsTo('aws.publish');
      expect(reqs.map((r) => form(r).PhoneNumber)).toEqual(['+8613800000000', '+15550000000', '+447700900123']);
      expect(form(reqs[0]!)).toEqual({ Action: 'Publish', Message: 'Alert0: summary 0\nAlert1: summary 1', PhoneNumber: '+8613800000000', Version: '2010-03-31' });
      expect(reqs[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/sns\/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/);
      expect(res.outcomes.map((o) => [o.status, o.error?.code])).toEqual([
        ['delivered', undefined],
        ['failed', 'aws:InvalidParameter'],
        ['delivered', undefined],
      ]);
      expect(res.outcomes[0]).toMatchObject({ alertIds: ['a0', 'a1'] });
      expect(failureOf(res)).toBeInstanceOf(PartialFailureError);
    });

    it('retries Throttling and 5xx; a wrong key or signature is permanent', async () => {
      fake.script({ route: 'aws.publish', retryAfterSec: 1 });
      expect(failureOf(await sender.send(target(aws, ['+8613800000000']), textMessage('x')))).toMatchObject({ name: 'RetryableError', code: 'aws:Throttling' });
      fake.script({ route: 'aws.publish', status: 500, body: 'oops' });
      expect(failureOf(await sender.send(target(aws, ['+8613800000000']), textMessage('x')))).toMatchObject({ name: 'RetryableError', code: 'aws:http-500' });
      const bad = await sender.send(target({ ...aws, secretAccessKey: 'other' }, ['+8613800000000']), textMessage('x'));
      expect(failureOf(bad)).toMatchObject({ name: 'PermanentError', code: 'aws:SignatureDoesNotMatch' });
      const unknown = await sender.send(target({ ...aws, accessKeyId: 'AKIDOTHER' }, ['+8613800000000']), textMessage('x'));
      expect(failureOf(unknown)).toMatchObject({ name: 'PermanentError', code: 'aws:InvalidClientTokenId' });
    });
  });

  it('fails a malformed number on its own without calling the provider, and dedupes numbers', async () => {
    const res = await sender.send(target(tencent, ['12-34', '13800000000', ' 13800000000 ']), textMessage('x'));
    expect(res.outcomes.map((o) => [o.destination, o.status, o.error?.code])).toEqual([
      ['12-34', 'failed', 'sms:invalid-number'],
      ['13800000000', 'delivered', undefined],
    ]);
    expect((fake.requestsTo('tencent.sendSms')[0]!.body as { PhoneNumberSet: string[] }).PhoneNumberSet).toEqual(['13800000000']);
    await expect(sender.send(target(tencent, [' ']), textMessage('x'))).rejects.toMatchObject({ code: 'sms:no-destination' });
  });
});
