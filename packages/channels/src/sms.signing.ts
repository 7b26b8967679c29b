/**
 * The four request-signing schemes of the SMS providers, done with node:crypto (no vendor SDK):
 * Aliyun's RPC signature (HMAC-SHA1 over the sorted, percent-encoded parameters), Tencent Cloud's
 * TC3-HMAC-SHA256, Huawei's WSSE UsernameToken and AWS Signature Version 4. Each is a pure
 * function of its inputs (time and nonce included), so the documented examples can be replayed.
 */
import { createHash, createHmac } from 'node:crypto';

const sha256Hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 percent-encoding: only `A-Z a-z 0-9 - _ . ~` stay literal (what Aliyun and SigV4 require). */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `k=v&…` of the parameters sorted by name, names and values percent-encoded. */
export function canonicalQuery(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .sort()
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k]!)}`)
    .join('&');
}

/**
 * Aliyun RPC signature (SignatureVersion 1.0, HMAC-SHA1): base64(HMAC-SHA1(key = secret + "&",
 * message = METHOD + "&%2F&" + percentEncode(canonical query))). `params` excludes `Signature`.
 */
export function aliyunRpcSignature(method: 'GET' | 'POST', params: Readonly<Record<string, string>>, accessKeySecret: string): string {
  const stringToSign = `${method}&${percentEncode('/')}&${percentEncode(canonicalQuery(params))}`;
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign, 'utf8').digest('base64');
}

export interface Tc3Input {
  secretId: string;
  secretKey: string;
  /** Product name, the first label of the host (`sms`). */
  service: string;
  /** Host header value as sent. */
  host: string;
  /** Unix seconds (`X-TC-Timestamp`). */
  timestampSec: number;
  /** The exact JSON body sent. */
  payload: string;
  /** Default `application/json; charset=utf-8`. */
  contentType?: string;
}

/**
 * Tencent Cloud TC3-HMAC-SHA256 for a POST with a JSON body, signing `content-type` and `host`:
 * the `Authorization` header value, and the signature alone.
 */
export function tc3Authorization(input: Tc3Input): { authorization: string; signature: string } {
  const contentType = input.contentType ?? 'application/json; charset=utf-8';
  const signedHeaders = 'content-type;host';
  const canonicalRequest = ['POST', '/', '', `content-type:${contentType}\nhost:${input.host}\n`, signedHeaders, sha256Hex(input.payload)].join('\n');
  const date = new Date(input.timestampSec * 1000).toISOString().slice(0, 10);
  const scope = `${date}/${input.service}/tc3_request`;
  const stringToSign = ['TC3-HMAC-SHA256', String(input.timestampSec), scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(`TC3${input.secretKey}`, date), input.service), 'tc3_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  return {
    signature,
    authorization: `TC3-HMAC-SHA256 Credential=${input.secretId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

/** The `Authorization` header Huawei's WSSE scheme pairs with `X-WSSE`. */
export const HUAWEI_WSSE_AUTHORIZATION = 'WSSE realm="SDP",profile="UsernameToken",type="Appkey"';

/** Huawei's `Created`: UTC, `YYYY-MM-DDTHH:MM:SSZ` (notification-manager wrote local time with a `Z`). */
export function huaweiCreated(nowMs: number): string {
  return `${new Date(nowMs).toISOString().slice(0, 19)}Z`;
}

/** Huawei's PasswordDigest: base64 of the hex SHA-256 of nonce + created + appSecret. */
export function huaweiPasswordDigest(nonce: string, created: string, appSecret: string): string {
  return Buffer.from(sha256Hex(`${nonce}${created}${appSecret}`), 'utf8').toString('base64');
}

/** The `X-WSSE` header value. */
export function huaweiWsseHeader(appKey: string, appSecret: string, nonce: string, created: string): string {
  const digest = huaweiPasswordDigest(nonce, created, appSecret);
  return `UsernameToken Username="${appKey}",PasswordDigest="${digest}",Nonce="${nonce}",Created="${created}"`;
}

export interface SigV4Input {
  method: 'GET' | 'POST';
  url: URL;
  /** Headers to sign, names in any case (`host` and `x-amz-date` must be among them). */
  headers: Readonly<Record<string, string>>;
  body: string;
  region: string;
  service: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `YYYYMMDDTHHMMSSZ`, the `X-Amz-Date` header. */
  amzDate: string;
}

/** `YYYYMMDDTHHMMSSZ` of a time. */
export function amzDate(nowMs: number): string {
  return new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** AWS Signature Version 4 (header form): the `Authorization` header value and the signature. */
export function sigV4Authorization(input: SigV4Input): { authorization: string; signature: string } {
  const names = Object.keys(input.headers)
    .map((n) => [n.toLowerCase(), input.headers[n]!.trim().replace(/\s+/g, ' ')] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonicalHeaders = names.map(([n, v]) => `${n}:${v}\n`).join('');
  const signedHeaders = names.map(([n]) => n).join(';');
  const query: Record<string, string> = {};
  for (const [k, v] of input.url.searchParams) query[k] = v;
  const path = input.url.pathname.split('/').map((s) => percentEncode(decodeURIComponent(s))).join('/') || '/';
  const canonicalRequest = [input.method, path, canonicalQuery(query), canonicalHeaders, signedHeaders, sha256Hex(input.body)].join('\n');
  const date = input.amzDate.slice(0, 8);
  const scope = `${date}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', input.amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${input.secretAccessKey}`, date), input.region), input.service), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  return {
    signature,
    authorization: `AWS4-HMAC-SHA256 Credential=${input.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}
