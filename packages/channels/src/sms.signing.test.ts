/**
 * The signers against the worked examples the vendors publish: Aliyun's RPC signature examples
 * (ECS DescribeRegions and Dysmsapi SendSms), Tencent Cloud's "Signature v3" example (CVM
 * DescribeInstances) and AWS's Signature Version 4 example (IAM ListUsers). Huawei publishes no
 * worked WSSE value, so its digest is checked against the formula computed step by step.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  aliyunRpcSignature,
  amzDate,
  canonicalQuery,
  huaweiCreated,
  huaweiPasswordDigest,
  huaweiWsseHeader,
  percentEncode,
  sigV4Authorization,
  tc3Authorization,
} from './sms.signing.js';

describe('Aliyun RPC signature', () => {
  it('reproduces the documented DescribeRegions example (secret testsecret)', () => {
    const params = {
      Timestamp: '2016-02-23T12:46:24Z',
      Format: 'XML',
      AccessKeyId: 'testid',
      Action: 'DescribeRegions',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
      Version: '2014-05-26',
      SignatureVersion: '1.0',
    };
    expect(canonicalQuery(params)).toBe(
      'AccessKeyId=testid&Action=DescribeRegions&Format=XML&SignatureMethod=HMAC-SHA1&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf' +
        '&SignatureVersion=1.0&Timestamp=2016-02-23T12%3A46%3A24Z&Version=2014-05-26',
    );
    expect(aliyunRpcSignature('GET', params, 'testsecret')).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });

  it('reproduces the documented Dysmsapi SendSms example (Chinese sign name, JSON TemplateParam)', () => {
    const params = {
      AccessKeyId: 'testId',
      Action: 'SendSms',
      Format: 'XML',
      OutId: '123',
      PhoneNumbers: '15300000001',
      RegionId: 'cn-hangzhou',
      SignName: '阿里云短信测试专用',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: '45e25e9b-0a6f-4070-8c85-2956eda1b466',
      SignatureVersion: '1.0',
      TemplateCode: 'SMS_71390007',
      TemplateParam: '{"customer":"test"}',
      Timestamp: '2017-07-12T02:42:19Z',
      Version: '2017-05-25',
    };
    expect(aliyunRpcSignature('GET', params, 'testSecret')).toBe('zJDF+Lrzhj/ThnlvIToysFRq6t4=');
  });

  it('percent-encodes what encodeURIComponent leaves alone', () => {
    expect(percentEncode("a!b'c(d)e*f g")).toBe('a%21b%27c%28d%29e%2Af%20g');
    expect(percentEncode('~-_.')).toBe('~-_.');
  });
});

describe('Tencent Cloud TC3-HMAC-SHA256', () => {
  it('reproduces the documented CVM DescribeInstances example', () => {
    const out = tc3Authorization({
      secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE',
      secretKey: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE',
      service: 'cvm',
      host: 'cvm.tencentcloudapi.com',
      timestampSec: 1551113065,
      payload: '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}',
    });
    expect(out.signature).toBe('72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168');
    expect(out.authorization).toBe(
      'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, ' +
        'Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168',
    );
  });
});

describe('AWS Signature Version 4', () => {
  it('reproduces the documented IAM ListUsers example', () => {
    const out = sigV4Authorization({
      method: 'GET',
      url: new URL('https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08'),
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
        Host: 'iam.amazonaws.com',
        'X-Amz-Date': '20150830T123600Z',
      },
      body: '',
      region: 'us-east-1',
      service: 'iam',
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      amzDate: '20150830T123600Z',
    });
    expect(out.signature).toBe('5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7');
    expect(out.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, ' +
        'Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    );
  });

  it('formats X-Amz-Date', () => {
    expect(amzDate(Date.UTC(2015, 7, 30, 12, 36, 0, 123))).toBe('20150830T123600Z');
  });
});

describe('Huawei WSSE', () => {
  it('digests nonce + created + secret as base64 of the hex SHA-256, with a UTC Created', () => {
    const created = huaweiCreated(Date.UTC(2024, 4, 14, 10, 0, 5, 999));
    expect(created).toBe('2024-05-14T10:00:05Z');
    const hex = createHash('sha256').update('66C92B11FF8A425FB8D4CCFE0ED9ED1F2024-05-14T10:00:05Zsecret').digest('hex');
    expect(huaweiPasswordDigest('66C92B11FF8A425FB8D4CCFE0ED9ED1F', created, 'secret')).toBe(Buffer.from(hex).toString('base64'));
    expect(huaweiWsseHeader('app-key', 'secret', '66C92B11FF8A425FB8D4CCFE0ED9ED1F', created)).toBe(
      `UsernameToken Username="app-key",PasswordDigest="${Buffer.from(hex).toString('base64')}",Nonce="66C92B11FF8A425FB8D4CCFE0ED9ED1F",Created="2024-05-14T10:00:05Z"`,
    );
  });
});
