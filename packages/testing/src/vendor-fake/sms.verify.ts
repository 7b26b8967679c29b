/**
 * How the SMS providers check a request's signature, written from their documentation: the fake
 * recomputes each from the request as received (raw body, headers, query) and compares.
 */
import { createHash, createHmac } from 'node:crypto';
import { sameText } from './fake.signing.js';

const hex256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
const mac = (key: string | Buffer, s: string): Buffer => createHmac('sha256', key).update(s, 'utf8').digest();

/** RFC 3986 encoding (`A-Za-z0-9-_.~` literal), byte by byte. */
export function rfc3986(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const sortedPairs = (pairs: [string, string][]): string =>
  pairs
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');

/** Aliyun RPC: base64(HMAC-SHA1(secret + "&", METHOD&%2F&enc(sorted query))) over every parameter but Signature. */
export function aliyunExpectedSignature(method: string, params: URLSearchParams, secret: string): string {
  const pairs = [...params.entries()].filter(([k]) => k !== 'Signature');
  const sts = `${method}&%2F&${rfc3986(sortedPairs(pairs))}`;
  return createHmac('sha1', `${secret}&`).update(sts, 'utf8').digest('base64');
}

export interface AuthParts {
  credential: string[];
  signedHeaders: string[];
  signature: string;
}

/** `<ALGO> Credential=a/b/c, SignedHeaders=x;y, Signature=s` → its parts, or undefined. */
export function parseAuthorization(header: string | undefined, algorithm: string): AuthParts | undefined {
  if (!header?.startsWith(`${algorithm} `)) return undefined;
  const fields = new Map(
    header
      .slice(algorithm.length + 1)
      .split(',')
      .map((f) => f.trim().split('=') as [string, string?])
      .map(([k, v]) => [k, v ?? ''] as const),
  );
  const credential = fields.get('Credential')?.split('/');
  const signedHeaders = fields.get('SignedHeaders')?.split(';');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature) return undefined;
  return { credential, signedHeaders, signature };
}

const canonicalHeaders = (names: string[], headers: Record<string, string | undefined>): string =>
  names.map((n) => `${n}:${(headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');

/** Tencent TC3: the signature of a POST `/` with the signed headers as received. */
export function tc3ExpectedSignature(auth: AuthParts, headers: Record<string, string | undefined>, rawBody: string, secretKey: string): string {
  const [, date = '', service = ''] = auth.credential;
  const canonical = ['POST', '/', '', canonicalHeaders(auth.signedHeaders, headers), auth.signedHeaders.join(';'), hex256(rawBody)].join('\n');
  const sts = ['TC3-HMAC-SHA256', headers['x-tc-timestamp'] ?? '', `${date}/${service}/tc3_request`, hex256(canonical)].join('\n');
  const key = mac(mac(mac(`TC3${secretKey}`, date), service), 'tc3_request');
  return createHmac('sha256', key).update(sts, 'utf8').digest('hex');
}

/** AWS SigV4: the signature of a request with the signed headers, path, query and body as received. */
export function sigV4ExpectedSignature(
  auth: AuthParts,
  req: { method: string; path: string; query: Record<string, string>; headers: Record<string, string | undefined>; rawBody: string },
  secretKey: string,
): string {
  const [, date = '', region = '', service = ''] = auth.credential;
  const canonical = [
    req.method,
    req.path.split('/').map((s) => rfc3986(decodeURIComponent(s))).join('/'),
    sortedPairs(Object.entries(req.query)),
    canonicalHeaders(auth.signedHeaders, req.headers),
    auth.signedHeaders.join(';'),
    hex256(req.rawBody),
  ].join('\n');
  const sts = ['AWS4-HMAC-SHA256', req.headers['x-amz-date'] ?? '', `${date}/${region}/${service}/aws4_request`, hex256(canonical)].join('\n');
  const key = mac(mac(mac(mac(`AWS4${secretKey}`, date), region), service), 'aws4_request');
  return createHmac('sha256', key).update(sts, 'utf8').digest('hex');
}

/** `X-WSSE: UsernameToken Username="…",PasswordDigest="…",Nonce="…",Created="…"` → its fields. */
export function parseWsse(header: string | undefined): Record<string, string> | undefined {
  if (!header?.startsWith('UsernameToken ')) return undefined;
  const out: Record<string, string> = {};
  for (const m of header.slice('UsernameToken '.length).matchAll(/(\w+)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

/** Huawei WSSE: base64 of the hex SHA-256 of nonce + created + appSecret. */
export function wsseExpectedDigest(nonce: string, created: string, appSecret: string): string {
  return Buffer.from(hex256(nonce + created + appSecret)).toString('base64');
}

export const signatureMatches = (got: string, want: string): boolean => sameText(got, want);
