/**
 * Authenticated encryption of short strings (AES-256-GCM, a fresh 96-bit IV each time, the purpose as
 * associated data): `v1.<base64url(iv | ciphertext | tag)>`. What is sealed can be neither read nor
 * altered without the key; keys come from `deriveKey(secret, purpose)`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PREFIX = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export type Opened = { ok: true; plain: string } | { ok: false; reason: 'malformed' | 'tampered' };

export interface Box {
  seal(plain: string): string;
  /** Refuses anything but the one encoding `seal` emits, at most `maxChars` long. */
  open(sealed: unknown): Opened;
}

export function createBox(key: Buffer, aad: string, maxChars = 8 * 1024): Box {
  const associated = Buffer.from(aad);
  return {
    seal(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(associated);
      const encrypted = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return PREFIX + Buffer.concat([iv, encrypted, cipher.getAuthTag()]).toString('base64url');
    },
    open(sealed) {
      if (typeof sealed !== 'string' || sealed.length > maxChars || !sealed.startsWith(PREFIX)) {
        return { ok: false, reason: 'malformed' };
      }
      const encoded = sealed.slice(PREFIX.length);
      if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return { ok: false, reason: 'malformed' };
      const raw = Buffer.from(encoded, 'base64url');
      // Only the one encoding we emit: no stray bits, no length that no byte string encodes to.
      if (raw.length <= IV_BYTES + TAG_BYTES || raw.toString('base64url') !== encoded) {
        return { ok: false, reason: 'malformed' };
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
        decipher.setAAD(associated);
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        const plain = Buffer.concat([
          decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
        return { ok: true, plain };
      } catch {
        return { ok: false, reason: 'tampered' };
      }
    },
  };
}
