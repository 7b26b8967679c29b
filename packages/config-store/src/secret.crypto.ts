import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** Raised when a stored secret cannot be decrypted (wrong NM_SECRET_KEY or corrupted data). */
export class SecretDecryptError extends Error {
  override readonly name = 'SecretDecryptError';
  readonly code = 'SECRET_DECRYPT';
}

/**
 * AES-256-GCM with a key derived from NM_SECRET_KEY (SHA-256 of it, so any length of passphrase
 * works; a 64-hex-digit value is used as raw key bytes). Output: `v1.<iv>.<tag>.<ciphertext>` base64url.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    if (!secretKey) throw new Error('NM_SECRET_KEY must not be empty');
    this.key = /^[0-9a-fA-F]{64}$/.test(secretKey)
      ? Buffer.from(secretKey, 'hex')
      : createHash('sha256').update(secretKey, 'utf8').digest();
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
  }

  open(sealed: string): string {
    const [v, iv, tag, ct] = sealed.split('.');
    if (v !== 'v1' || !iv || !tag || ct === undefined) throw new SecretDecryptError('unrecognised secret format');
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      d.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
    } catch (err) {
      throw new SecretDecryptError('cannot decrypt secret (is NM_SECRET_KEY the one config-sync used?)', { cause: err });
    }
  }
}
