import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomFillSync } from 'node:crypto';
import type { StoreEncryption } from '../config/config.js';
import { StoreDataError } from './store-errors.js';

/** Marks a sealed value: "!<keyId>!<base64 of IV, ciphertext, tag>". Plain payloads start with an id character or "{". */
const SEALED = '!';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** IVs drawn from the CSPRNG in blocks: one system call per this many values, not one per value. */
const IV_POOL_BYTES = IV_BYTES * 512;

/**
 * Seals the texts the Redis store writes that hold message contents (queued messages, fallback
 * plans, inbound replies) with AES-256-GCM, and opens them again. Each value names its key, so
 * values sealed before a rotation still open; a value without the mark is plaintext (written
 * before encryption was turned on) and is read as it is. Random 96-bit IVs: a key seals far
 * fewer than the 2^32 values NIST SP 800-38D allows per key with random IVs before rotation.
 */
export class PayloadSealer {
  private readonly keys: ReadonlyMap<string, Buffer>;
  private readonly sealKey: Buffer;
  private readonly prefix: string;
  /** Per key, the HMAC key for lookup values (derived, so the AES key is used for one thing). */
  private readonly lookupKeys: readonly { readonly id: string; readonly key: Buffer }[];
  /** The lookup key of sealWith: what new lookup values are hashed with. */
  private readonly sealLookupKey: { readonly id: string; readonly key: Buffer };
  private readonly ivPool = Buffer.alloc(IV_POOL_BYTES);
  private ivAt = IV_POOL_BYTES;

  constructor(settings: StoreEncryption) {
    this.keys = new Map(settings.keys.map((k) => [k.id, Buffer.from(k.key, 'base64')]));
    const sealKey = this.keys.get(settings.sealWith);
    if (sealKey === undefined || sealKey.length !== 32) throw new Error(`store.encryption.sealWith: no 32-byte key "${settings.sealWith}" in store.encryption.keys`);
    this.sealKey = sealKey;
    this.prefix = `${SEALED}${settings.sealWith}${SEALED}`;
    this.lookupKeys = [...this.keys].map(([id, key]) => ({ id, key: Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'switchboard lookup values', 32)) }));
    this.sealLookupKey = this.lookupKeys.find((k) => k.id === settings.sealWith) as { id: string; key: Buffer };
  }

  /**
   * What the store keeps of a value it must find again by equality but never read back (an
   * opted-out phone number): a keyed hash under the sealWith key, "#<keyId>#<base64url>". `scope`
   * (the tenant) is hashed in, so one number opted out at two tenants does not show as equal.
   */
  lookupForm(scope: string, value: string): string {
    return this.hashOf(this.sealLookupKey, scope, value);
  }

  /** Every form the value may have been stored in: its hash under each key, and the value itself (stored before encryption). */
  lookupForms(scope: string, value: string): string[] {
    return [...this.lookupKeys.map((key) => this.hashOf(key, scope, value)), value];
  }

  private hashOf(key: { id: string; key: Buffer }, scope: string, value: string): string {
    return `#${key.id}#${createHmac('sha256', key.key).update(scope).update('\x1f').update(value).digest('base64url')}`;
  }

  seal(plain: string): string {
    if (this.ivAt === IV_POOL_BYTES) {
      randomFillSync(this.ivPool);
      this.ivAt = 0;
    }
    const iv = this.ivPool.subarray(this.ivAt, (this.ivAt += IV_BYTES));
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv);
    const body = cipher.update(plain, 'utf8');
    const last = cipher.final();
    return this.prefix + Buffer.concat([iv, body, last, cipher.getAuthTag()]).toString('base64');
  }

  /** The plaintext of a value `seal` made, or the value itself when it is not sealed. */
  open(stored: string): string {
    if (!stored.startsWith(SEALED)) return stored;
    const end = stored.indexOf(SEALED, 1);
    const keyId = stored.slice(1, end);
    const key = end > 0 ? this.keys.get(keyId) : undefined;
    if (key === undefined) {
      throw new StoreDataError(`a stored value is sealed with key "${keyId}", which store.encryption.keys does not hold: put the key back until the values it sealed are gone`);
    }
    const bytes = Buffer.from(stored.slice(end + 1), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      return decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES), undefined, 'utf8') + decipher.final('utf8');
    } catch {
      throw new StoreDataError(`a stored value sealed with key "${keyId}" does not open: the key under that id is not the one that sealed it, or the value was altered`);
    }
  }
}

/** Seals nothing: the store's texts as they are. */
export const NO_SEALING: Sealing = {
  seal: (plain) => plain,
  open: (stored) => stored,
  lookupForm: (_scope, value) => value,
  lookupForms: (_scope, value) => [value],
};

/** What the Redis store uses: a PayloadSealer, or NO_SEALING. */
export type Sealing = Pick<PayloadSealer, 'seal' | 'open' | 'lookupForm' | 'lookupForms'>;

export function sealingFor(settings: StoreEncryption | null): Sealing {
  return settings === null ? NO_SEALING : new PayloadSealer(settings);
}
