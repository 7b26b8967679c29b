/** The fake's signature checks replay the vendors' documented examples, so they accept exactly what the vendors accept. */
import { describe, expect, it } from '@jest/globals';
import { aliyunExpectedSignature, parseAuthorization, parseWsse, sigV4ExpectedSignature, tc3ExpectedSignature } from './sms.verify.js';

describe('SMS signature checks of the vendor fake', () => {
  it('Aliyun RPC: the documented DescribeRegions example', () => {
    const params = new URLSearchParams(
      'Timestamp=2016-02-23T12:46:24Z&Format=XML&AccessKeyId=testid&Action=DescribeRegions&SignatureMethod=HMAC-SHA1' +
        '&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&Version=2014-05-26&SignatureVersion=1.0&Signature=ignored',
    );
    expect(aliyunExpectedSignature('GET', params, 'testsecret')).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });

  it('Tencent TC3: the documented CVM DescribeInstances example', () => {
    const header =
      'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, ' +
      'Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168';
    const auth = parseAuthorization(header, 'TC3-HMAC-SHA256')!;
    const headers = { 'content-type': 'application/json; charset=utf-8', host: 'cvm.tencentcloudapi.com', 'x-tc-timestamp': '1551113065' };
    const body = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}';
    expect(tc3ExpectedSignature(auth, headers, body, 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE')).toBe(auth.signature);
  });

  it('AWS SigV4: the documented IAM ListUsers example', () => {
    const header =
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, ' +
      'Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7';
    const auth = parseAuthorization(header, 'AWS4-HMAC-SHA256')!;
    const req = {
      method: 'GET',
      path: '/',
      query: { Action: 'ListUsers', Version: '2010-05-08' },
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', host: 'iam.amazonaws.com', 'x-amz-date': '20150830T123600Z' },
      rawBody: '',
    };
    expect(sigV4ExpectedSignature(auth, req, 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY')).toBe(auth.signature);
  });

  it('Huawei WSSE: reads the X-WSSE fields', () => {
    expect(parseWsse('UsernameToken Username="k",PasswordDigest="ZA==",Nonce="n1",Created="2024-05-14T10:00:05Z"')).toEqual({
      Username: 'k',
      PasswordDigest: 'ZA==',
      Nonce: 'n1',
      Created: '2024-05-14T10:00:05Z',
    });
    expect(parseWsse('Basic x')).toBeUndefined();
  });
});
