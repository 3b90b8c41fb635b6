import QRCode from 'qrcode';
import { Secret, TOTP } from 'otpauth';
import { randomBase32, sha256Hex } from '../shared/ids.js';
import { nfkc } from '../shared/jp.js';

/**
 * TOTP (RFC 6238) as every authenticator app understands it: SHA1, 6 digits, 30-second steps.
 * A code is accepted one step either side of now (clock drift); callers refuse a step that was
 * already used, so an observed code cannot be replayed.
 */
export const TOTP_PARAMS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
export const TOTP_WINDOW = 1;
export const RECOVERY_CODE_COUNT = 10;

/** A fresh 160-bit secret, base32 (what authenticator apps take when typed in). */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The `otpauth://` URI for the QR code. */
export function totpUri(secret: string, issuer: string, account: string): string {
  return new TOTP({ ...TOTP_PARAMS, issuer, label: account, secret: Secret.fromBase32(secret) }).toString();
}

/** The QR code of the URI as SVG markup (library output from our own data, no script). */
export function qrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** The secret in groups of four, easier to type by hand. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})/g, '$1 ').trim();
}

/**
 * What the person typed into a code field, normalised: full-width digits and letters (Japanese
 * IME) become ASCII, spaces and hyphens go. Returns the kind of code it can be, or null.
 */
export function classifyCode(input: string): { kind: 'totp'; code: string } | { kind: 'recovery'; code: string } | null {
  const s = nfkc(input).replace(/[\s\-‐－ー]/g, '').toUpperCase();
  if (/^\d{6}$/.test(s)) return { kind: 'totp', code: s };
  // Crockford base32: I and L read as 1, O as 0.
  const r = s.replace(/[IL]/g, '1').replace(/O/g, '0');
  if (/^[0-9A-HJKMNP-TV-Z]{10}$/.test(r)) return { kind: 'recovery', code: r };
  return null;
}

/** The time step the code belongs to (within ±1 step of `now`), or null when it is wrong. */
export function totpStep(secret: string, code: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = TOTP.validate({ ...TOTP_PARAMS, token: code, secret: Secret.fromBase32(secret), timestamp: now, window: TOTP_WINDOW });
  if (delta === null) return null;
  return TOTP.counter({ period: TOTP_PARAMS.period, timestamp: now }) + delta;
}

/** Ten single-use recovery codes, `XXXXX-XXXXX` (50 bits each), and the hashes to store. */
export function newRecoveryCodes(): { codes: string[]; hashes: string[] } {
  const codes: string[] = [];
  for (let i = 0; i < RECOVERY_CODE_COUNT; i++) {
    const raw = randomBase32(10);
    codes.push(`${raw.slice(0, 5)}-${raw.slice(5)}`);
  }
  return { codes, hashes: codes.map((c) => hashRecoveryCode(c.replace('-', ''))) };
}

/** The stored form of a normalised recovery code (10 characters, no hyphen). */
export function hashRecoveryCode(normalised: string): string {
  return sha256Hex(`mamori-recovery:${normalised}`);
}
