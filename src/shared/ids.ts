import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Crockford base32 without I, L, O, U: readable over the phone, no look-alikes.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Random text of `length` base32 characters (5 bits of entropy each). */
export function randomBase32(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i]! & 31];
  return out;
}

/** A random, unguessable row id with a readable prefix, e.g. `ord_7K3Q9XWD4M2P8ZRB`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBase32(16)}`;
}

/** An opaque bearer token (256 bits). Store only its hash. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function hmacBase64url(key: string, value: string): string {
  return createHmac('sha256', key).update(value).digest('base64url');
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
