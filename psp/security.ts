import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Small security helpers of the PSP: API key check, CSP, and log redaction.
 */

/** Constant-time check of `Authorization: Bearer <apiKey>` (hashing first hides the key length). */
export function bearerMatches(header: string | undefined, apiKey: string): boolean {
  if (header === undefined) return false;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  const given = createHash('sha256').update(m?.[1] ?? '').digest();
  const expected = createHash('sha256').update(apiKey).digest();
  return timingSafeEqual(given, expected) && m !== null;
}

const SAFE_ORIGIN = /^https?:\/\/[A-Za-z0-9._\-[\]:]+$/;

/** The origin of an http(s) URL in a form safe to put into a CSP header, or null. */
export function cspOrigin(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return SAFE_ORIGIN.test(origin) ? origin : null;
  } catch {
    return null;
  }
}

/**
 * The policy of every PSP page. `form-action` lists the shop origins a form on the page may end up
 * at: Chrome applies form-action to the redirect that follows a POST, and the payment form's
 * answer is a 303 to the shop's return URL.
 */
export function contentSecurityPolicy(extraFormActionOrigins: readonly string[] = []): string {
  const formAction = ["'self'", ...new Set(extraFormActionOrigins)].join(' ');
  return `default-src 'none'; style-src 'self'; img-src 'self'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`;
}

// 12 to 19 digits, optionally grouped by spaces or hyphens: anything that might be a card number.
const CARDLIKE = /\d(?:[ -]?\d){11,18}/g;

/** Masks anything that looks like a card number; used on every string the logger sees. */
export function redactCardLike(text: string): string {
  return text.replace(CARDLIKE, '[redacted]');
}
