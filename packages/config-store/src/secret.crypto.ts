import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

/** Raised when a stored secret cannot be decrypted (wrong NM_SECRET_KEY or corrupted data). */
export class SecretDecryptError extends Error {
  override readonly name = 'SecretDecryptError';
  readonly code = 'SECRET_DECRYPT';
}

/** SHA-256 of a passphrase; a 64-hex-digit value is taken as the raw 32 key bytes. */
function keyBytes(secretKey: string): Buffer {
  return /^[0-9a-fA-F]{64}$/.test(secretKey) ? Buffer.from(secretKey, 'hex') : createHash('sha256').update(secretKey, 'utf8').digest();
}

/**
 * The keys of `NM_SECRET_KEY_PREVIOUS`: comma-separated, blanks ignored (one key during a
 * rotation, or several when rotations overlap).
 */
export function parsePreviousKeys(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
}

/**
 * Everything credential-like that the services keep in Redis goes through one SecretBox:
 * AES-256-GCM with a key derived from `NM_SECRET_KEY`. Output: `v1.<iv>.<tag>.<ciphertext>`
 * (base64url).
 *
 * Rotation: `seal` always uses the current key; `open` tries the current key, then each previous
 * key (`NM_SECRET_KEY_PREVIOUS`), so data written before a rotation stays readable until it is
 * written again with the new key.
 *
 * Redis key names that are derived from secret material (a webhook URL, an app secret) use
 * `keyId`: an HMAC keyed by the current key, never a plain hash (a plain hash of a guessable
 * secret can be confirmed offline by whoever reads Redis).
 */
export class SecretBox {
  private readonly key: Buffer;
  private readonly previous: readonly Buffer[];
  private readonly idKey: Buffer;

  constructor(secretKey: string, previousKeys: readonly string[] = []) {
    if (!secretKey) throw new Error('NM_SECRET_KEY must not be empty');
    this.key = keyBytes(secretKey);
    this.previous = previousKeys.filter((k) => k !== '' && k !== secretKey).map(keyBytes);
    // a key of its own for ids, so an id never relates to a ciphertext
    this.idKey = createHmac('sha256', this.key).update('nm:key-id:v1').digest();
  }

  /** How many previous keys are accepted by `open`. */
  get previousKeyCount(): number {
    return this.previous.length;
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
  }

  open(sealed: string): string {
    return this.openWithKey(sealed).plaintext;
  }

  /** The plaintext, and whether it was sealed with a previous key (so it should be sealed again). */
  openWithKey(sealed: string): { plaintext: string; stale: boolean } {
    const [v, iv, tag, ct] = sealed.split('.');
    if (v !== 'v1' || !iv || !tag || ct === undefined) throw new SecretDecryptError('unrecognised secret format');
    let firstError: unknown;
    for (const [i, key] of [this.key, ...this.previous].entries()) {
      try {
        const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        d.setAuthTag(Buffer.from(tag, 'base64url'));
        const plaintext = Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
        return { plaintext, stale: i > 0 };
      } catch (err) {
        firstError ??= err;
      }
    }
    throw new SecretDecryptError('cannot decrypt secret (is NM_SECRET_KEY, or NM_SECRET_KEY_PREVIOUS during a rotation, the key it was written with?)', {
      cause: firstError,
    });
  }

  /** A stable, non-reversible id of secret material for Redis key names: HMAC-SHA256 with the current key, 40 hex digits. */
  keyId(material: string): string {
    return createHmac('sha256', this.idKey).update(material, 'utf8').digest('hex').slice(0, 40);
  }
}

/** What stores of credentials need from a SecretBox (the channels package takes this shape, not the class). */
export interface SecretSealer {
  seal(plaintext: string): string;
  open(sealed: string): string;
  keyId(material: string): string;
}
