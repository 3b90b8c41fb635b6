import { z } from 'zod';

/**
 * What the external monitor saw on one walk through the buyer path (issue #5, Layer 3). The same
 * shape is produced by the browser side (`runner.ts`) and checked and compared by the shop
 * (`service.ts`, `compare.ts`), so it is validated with zod on arrival: the shop never trusts it blindly.
 */

export const STEP_NAMES = ['product', 'cart', 'checkout', 'confirm', 'interstitial', 'provider'] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** Steps whose differences are critical: the checkout form, the confirmation, anything between it and the provider. */
export const PAYMENT_PATH_STEPS: ReadonlySet<StepName> = new Set(['checkout', 'confirm', 'interstitial']);

/** Response headers the monitor records (lower case). */
export const SECURITY_HEADERS = [
  'content-security-policy',
  'content-security-policy-report-only',
  'integrity-policy',
  'integrity-policy-report-only',
  'strict-transport-security',
  'x-content-type-options',
  'referrer-policy',
  'permissions-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'cross-origin-embedder-policy',
  'x-frame-options',
  'reporting-endpoints',
] as const;

const str = (max: number) => z.string().max(max);

const scriptSchema = z.object({
  /** external: <script src>; inline: <script> text; handler: an on* attribute; javascript-url: a javascript: link or action. */
  kind: z.enum(['external', 'inline', 'handler', 'javascript-url']),
  /** Absolute URL without query or fragment (external), or where the handler sits (`img[onerror]`). */
  src: str(2000).nullable(),
  /** base64 SHA-384 of the script body as served or inline text; null when it was never loaded (blocked, unreachable). */
  sha384: str(100).nullable(),
  /** The first characters of inline code, for the evidence (never card data: the monitor types none). */
  sample: str(300).nullable(),
});
export type ScriptFact = z.infer<typeof scriptSchema>;

const inputSchema = z.object({
  /** The form's normalised action, or null outside a form. */
  form: str(2000).nullable(),
  name: str(200),
  type: str(40),
  autocomplete: str(200),
  /** id, placeholder and aria-label, joined: card-field detection looks at them too. */
  hints: str(600),
});
export type InputFact = z.infer<typeof inputSchema>;

const stepSchema = z.object({
  step: z.enum(STEP_NAMES),
  /** Origin of the document. */
  origin: str(300),
  /** Path with id-like segments replaced by `*`. */
  path: str(2000),
  status: z.number().int().min(0).max(999),
  headers: z.record(str(60), str(4000)),
  scripts: z.array(scriptSchema).max(500),
  iframes: z.array(str(2000)).max(200),
  forms: z.array(z.object({ action: str(2000), method: str(20) })).max(200),
  inputs: z.array(inputSchema).max(1000),
  /** Origins of every request the page made while the monitor was on it. */
  requestOrigins: z.array(str(300)).max(500),
  /** Requests the browser refused because of the CSP (directive + blocked origin or keyword). */
  blocked: z.array(z.object({ directive: str(100), uri: str(2000) })).max(500),
});
export type StepFact = z.infer<typeof stepSchema>;

export const observationSchema = z.object({
  version: z.literal(1),
  startedAt: str(40),
  finishedAt: str(40),
  shopOrigin: str(300),
  /** The checkout form offered no card payment (suspended by the kill switch, or switched off): the walk stopped there. */
  cardUnavailable: z.boolean(),
  /** Why the walk stopped early, or null. */
  error: str(1000).nullable(),
  steps: z.array(stepSchema).max(STEP_NAMES.length),
  /** Redirects after the confirmation (normalised): how the buyer got to the provider. */
  redirects: z.array(z.object({ from: str(2000), status: z.number().int(), to: str(2000) })).max(20),
  /** Origin of the page the buyer ends up on after confirming, when it is not the shop (the provider). */
  providerOrigin: str(300).nullable(),
});
export type Observation = z.infer<typeof observationSchema>;

const ID_SEGMENT = /^(?:[a-z]{2,8}_[0-9A-Za-z]{8,}|(?=[0-9A-Za-z_-]*\d)[0-9A-Za-z_-]{16,})$/;

/** `/orders/ord_7K3Q…/pay` → `/orders/*\/pay`: ids and tokens differ on every walk, the shape does not. */
export function normalisePath(pathname: string): string {
  return pathname
    .split('/')
    .map((seg) => (ID_SEGMENT.test(seg) ? '*' : seg))
    .join('/');
}

/** Origin and normalised path, without query or fragment; data:, blob: and the like as their scheme. */
export function normaliseUrl(url: string, base?: string): string {
  try {
    const u = new URL(url, base);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return `${u.protocol}`;
    return `${u.origin}${normalisePath(u.pathname)}`;
  } catch {
    return url.slice(0, 200);
  }
}

export function originOf(url: string): string {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'ws:' || u.protocol === 'wss:' ? u.origin : u.protocol;
  } catch {
    return url.slice(0, 100);
  }
}

/** CSP nonces are fresh per response: `'nonce-abc'` → `'nonce-*'`. */
export function normaliseHeader(name: string, value: string): string {
  const v = value.trim().replace(/\s+/g, ' ');
  return name.startsWith('content-security-policy') ? v.replace(/'nonce-[^']*'/g, "'nonce-*'") : v;
}

const CARD_AUTOCOMPLETE = /(^|\s)cc-/i;
const CARD_NAME = /card|\bcc[-_]?(num|no|number|exp|csc|cvv|cvc)|cvc|cvv|\bcsc\b|\bpan\b|security[-_ ]?code|expir|カード|セキュリティコード|有効期限/i;

/** An input that asks for a card number, expiry, security code or holder (on a shop page it is a skimmer). */
export function looksLikeCardField(i: Pick<InputFact, 'name' | 'type' | 'autocomplete' | 'hints'>): boolean {
  if (i.type === 'hidden' || i.type === 'submit' || i.type === 'button' || i.type === 'radio' || i.type === 'checkbox') return false;
  return CARD_AUTOCOMPLETE.test(i.autocomplete) || CARD_NAME.test(i.name) || CARD_NAME.test(i.hints);
}
