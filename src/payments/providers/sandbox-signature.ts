import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookVerificationError } from '../provider.js';

/**
 * Webhook signatures of the sandbox payment provider, shared by the PSP (which signs) and the
 * shop's client (which verifies). One implementation, so both sides can never drift apart.
 *
 * Header: `Mamori-Psp-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * The timestamp is inside the signed text, so an old delivery cannot be re-dated; the receiver
 * rejects timestamps more than five minutes away from its own clock (either direction).
 */
export const SANDBOX_SIGNATURE_HEADER = 'Mamori-Psp-Signature';
export const SANDBOX_SIGNATURE_TOLERANCE_SECONDS = 300;

const V1_PATTERN = /^[0-9a-f]{64}$/;
const T_PATTERN = /^[0-9]{1,12}$/;

/** Hex HMAC-SHA256 over `<t>.<body>`. */
export function sandboxSignatureHex(secret: string, body: string, timestampSeconds: number): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${body}`, 'utf8').digest('hex');
}

/** The full header value for `body` signed at `timestampSeconds`. */
export function signSandboxWebhook(secret: string, body: string, timestampSeconds: number): string {
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new RangeError('timestampSeconds must be a non-negative integer');
  }
  return `t=${timestampSeconds},v1=${sandboxSignatureHex(secret, body, timestampSeconds)}`;
}

export interface VerifyOptions {
  /** The receiver's clock; defaults to now. */
  nowSeconds?: number;
  toleranceSeconds?: number;
}

/**
 * Verifies a signature header over the raw body; throws WebhookVerificationError when the header is
 * missing or malformed, the timestamp is outside the tolerance, or no `v1` signature matches.
 * Several `v1=` entries are allowed (a PSP rotating its secret signs with both).
 */
export function verifySandboxSignature(
  secret: string,
  rawBody: string,
  header: string | undefined,
  opts: VerifyOptions = {},
): void {
  if (header === undefined || header.trim() === '') {
    throw new WebhookVerificationError(`Missing ${SANDBOX_SIGNATURE_HEADER} header`);
  }
  if (header.length > 1024) throw new WebhookVerificationError('Malformed signature header');
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new WebhookVerificationError('Malformed signature header');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== null || !T_PATTERN.test(value)) throw new WebhookVerificationError('Malformed signature timestamp');
      timestamp = Number.parseInt(value, 10);
    } else if (key === 'v1') {
      if (!V1_PATTERN.test(value)) throw new WebhookVerificationError('Malformed v1 signature');
      signatures.push(value);
    }
    // Unknown keys (future schemes) are ignored.
  }
  if (timestamp === null) throw new WebhookVerificationError('Signature header has no timestamp');
  if (signatures.length === 0) throw new WebhookVerificationError('Signature header has no v1 signature');

  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tolerance = opts.toleranceSeconds ?? SANDBOX_SIGNATURE_TOLERANCE_SECONDS;
  if (timestamp < now - tolerance) throw new WebhookVerificationError('Signature timestamp is too old');
  if (timestamp > now + tolerance) throw new WebhookVerificationError('Signature timestamp is in the future');

  const expected = Buffer.from(sandboxSignatureHex(secret, rawBody, timestamp), 'hex');
  // Check every candidate (no early exit) so timing does not reveal which one matched.
  let matched = false;
  for (const sig of signatures) {
    const given = Buffer.from(sig, 'hex');
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  if (!matched) throw new WebhookVerificationError('Signature does not match');
}
