/**
 * Card rules of the sandbox PSP: Luhn, brand from the IIN, lengths, expiry, security code, and the
 * documented test numbers that decide the simulated outcome. Card numbers live only in the local
 * variables of one request: nothing here stores or logs them.
 */

import { luhnValid } from '../src/shared/luhn.js';

export { luhnValid };

export type CardBrand = 'visa' | 'mastercard' | 'jcb' | 'amex' | 'diners';

export const BRAND_LABELS: Record<CardBrand, string> = {
  visa: 'Visa',
  mastercard: 'Mastercard',
  jcb: 'JCB',
  amex: 'American Express',
  diners: 'Diners Club',
};

const BRAND_LENGTHS: Record<CardBrand, readonly number[]> = {
  visa: [13, 16, 19],
  mastercard: [16],
  jcb: [16, 17, 18, 19],
  amex: [15],
  diners: [14, 15, 16, 17, 18, 19],
};

function prefixIn(digits: string, length: number, from: number, to: number): boolean {
  if (digits.length < length) return false;
  const value = Number.parseInt(digits.slice(0, length), 10);
  return value >= from && value <= to;
}

/**
 * The brand from the issuer identification number: Visa 4; Mastercard 51–55 and 2221–2720;
 * JCB 3528–3589; Amex 34, 37; Diners 36, 300–305, 38–39. Null for anything else.
 */
export function detectBrand(digits: string): CardBrand | null {
  if (!/^[0-9]{4,}$/.test(digits)) return null;
  if (digits.startsWith('4')) return 'visa';
  if (prefixIn(digits, 2, 51, 55) || prefixIn(digits, 4, 2221, 2720)) return 'mastercard';
  if (prefixIn(digits, 4, 3528, 3589)) return 'jcb';
  if (digits.startsWith('34') || digits.startsWith('37')) return 'amex';
  if (digits.startsWith('36') || prefixIn(digits, 3, 300, 305) || prefixIn(digits, 2, 38, 39)) return 'diners';
  return null;
}

export function validLengthFor(brand: CardBrand, length: number): boolean {
  return BRAND_LENGTHS[brand].includes(length);
}

export function cvcLengthFor(brand: CardBrand): number {
  return brand === 'amex' ? 4 : 3;
}

/** Strips the spaces and hyphens people type; null when anything else is left besides digits. */
export function normalizeCardNumber(input: string): string | null {
  const digits = input.replace(/[\s-]/g, '');
  return /^[0-9]+$/.test(digits) ? digits : null;
}

/**
 * Parses `MM/YY` (also `MM / YY`, `MMYY`, `MM/YYYY`); the card is valid through the last day of
 * that month. Returns null when malformed.
 */
export function parseExpiry(input: string): { month: number; year: number } | null {
  const m = /^\s*(0?[1-9]|1[0-2])\s*[/-]?\s*([0-9]{2}|[0-9]{4})\s*$/.exec(input);
  if (!m) return null;
  const month = Number.parseInt(m[1]!, 10);
  const yearText = m[2]!;
  const year = yearText.length === 2 ? 2000 + Number.parseInt(yearText, 10) : Number.parseInt(yearText, 10);
  return { month, year };
}

export function expiryInFuture(expiry: { month: number; year: number }, now: Date = new Date()): boolean {
  // First instant after the expiry month, in UTC (good enough for a simulator).
  const end = Date.UTC(expiry.year, expiry.month, 1);
  const tooFar = Date.UTC(now.getUTCFullYear() + 20, now.getUTCMonth(), 1);
  return end > now.getTime() && end <= tooFar;
}

export type CardField = 'cardNumber' | 'expiry' | 'cvc' | 'name';
export type FieldErrors = Partial<Record<CardField, string>>;

export interface CardInput {
  cardNumber: string;
  expiry: string;
  cvc: string;
  name: string;
}

export interface ValidCard {
  brand: CardBrand;
  last4: string;
  /** The simulated outcome, decided by the documented test numbers. */
  scenario: Scenario;
}

/**
 * Validates the form; returns either per-field error messages (Japanese, with English) or the
 * brand, last 4 and scenario. The number itself is not part of the result.
 */
export function validateCard(input: CardInput, now: Date = new Date()): { ok: true; card: ValidCard } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const digits = normalizeCardNumber(input.cardNumber);
  let brand: CardBrand | null = null;
  if (input.cardNumber.trim() === '') {
    errors.cardNumber = 'カード番号を入力してください。 / Enter the card number.';
  } else if (digits === null) {
    errors.cardNumber = 'カード番号は数字で入力してください。 / Use digits only.';
  } else {
    brand = detectBrand(digits);
    if (brand === null) {
      errors.cardNumber = 'このカードブランドはご利用いただけません。 / This card brand is not accepted.';
    } else if (!validLengthFor(brand, digits.length)) {
      errors.cardNumber = 'カード番号の桁数が正しくありません。 / The card number has the wrong length.';
    } else if (!luhnValid(digits)) {
      errors.cardNumber = 'カード番号が正しくありません。 / The card number is not valid.';
    }
  }

  const expiry = parseExpiry(input.expiry);
  if (input.expiry.trim() === '') {
    errors.expiry = '有効期限を入力してください。 / Enter the expiry date.';
  } else if (expiry === null) {
    errors.expiry = '有効期限は MM/YY の形式で入力してください。 / Use the format MM/YY.';
  } else if (!expiryInFuture(expiry, now)) {
    errors.expiry = '有効期限が切れているか、正しくありません。 / The card has expired or the date is not valid.';
  }

  const cvcLength = brand === null ? null : cvcLengthFor(brand);
  if (input.cvc.trim() === '') {
    errors.cvc = 'セキュリティコードを入力してください。 / Enter the security code.';
  } else if (!/^[0-9]+$/.test(input.cvc.trim())) {
    errors.cvc = 'セキュリティコードは数字で入力してください。 / Use digits only.';
  } else if (cvcLength !== null && input.cvc.trim().length !== cvcLength) {
    errors.cvc = `セキュリティコードは${cvcLength}桁です。 / The security code has ${cvcLength} digits.`;
  } else if (cvcLength === null && !/^[0-9]{3,4}$/.test(input.cvc.trim())) {
    errors.cvc = 'セキュリティコードは3桁または4桁です。 / The security code has 3 or 4 digits.';
  }

  const name = input.name.trim();
  if (name === '') {
    errors.name = 'カード名義を入力してください。 / Enter the name on the card.';
  } else if (name.length > 100) {
    errors.name = 'カード名義が長すぎます。 / The name is too long.';
  }

  if (Object.keys(errors).length > 0 || digits === null || brand === null) return { ok: false, errors };
  return { ok: true, card: { brand, last4: digits.slice(-4), scenario: scenarioFor(digits) } };
}

export type Scenario =
  | { kind: 'approve' }
  | { kind: 'decline'; failureCode: string }
  | { kind: 'challenge' }
  | { kind: '3ds_fail' }
  | { kind: 'timeout' };

export interface TestCard {
  number: string;
  brand: CardBrand;
  outcome: string;
  scenario: Scenario;
}

/** The documented test numbers (docs/payments.md carries the same table). */
export const TEST_CARDS: readonly TestCard[] = [
  { number: '4242424242424242', brand: 'visa', outcome: 'Success (frictionless 3-D Secure)', scenario: { kind: 'approve' } },
  { number: '5555555555554444', brand: 'mastercard', outcome: 'Success', scenario: { kind: 'approve' } },
  { number: '2223003122003222', brand: 'mastercard', outcome: 'Success (2-series)', scenario: { kind: 'approve' } },
  { number: '3566002020360505', brand: 'jcb', outcome: 'Success', scenario: { kind: 'approve' } },
  { number: '378282246310005', brand: 'amex', outcome: 'Success (4-digit security code)', scenario: { kind: 'approve' } },
  { number: '36227206271667', brand: 'diners', outcome: 'Success (14 digits)', scenario: { kind: 'approve' } },
  { number: '3056930009020004', brand: 'diners', outcome: 'Success (16 digits)', scenario: { kind: 'approve' } },
  { number: '4000000000000002', brand: 'visa', outcome: 'Declined: card_declined', scenario: { kind: 'decline', failureCode: 'card_declined' } },
  { number: '4000000000009995', brand: 'visa', outcome: 'Declined: insufficient_funds', scenario: { kind: 'decline', failureCode: 'insufficient_funds' } },
  { number: '4000000000009979', brand: 'visa', outcome: 'Declined: stolen_card', scenario: { kind: 'decline', failureCode: 'stolen_card' } },
  { number: '4000000000000119', brand: 'visa', outcome: 'Failed: processing_error', scenario: { kind: 'decline', failureCode: 'processing_error' } },
  { number: '4000000000003220', brand: 'visa', outcome: '3-D Secure challenge (code 123456), then success', scenario: { kind: 'challenge' } },
  { number: '4000008400001629', brand: 'visa', outcome: 'Failed: 3ds_failed (issuer rejects authentication)', scenario: { kind: '3ds_fail' } },
  { number: '4000000000000267', brand: 'visa', outcome: 'Stays pending, then failed: timeout (after the timeout delay)', scenario: { kind: 'timeout' } },
];

/** The one-time code the simulated 3-D Secure challenge accepts. */
export const THREE_DS_TEST_CODE = '123456';
export const THREE_DS_MAX_TRIES = 3;

function scenarioFor(digits: string): Scenario {
  // Any other valid number of an accepted brand is approved without a challenge.
  return TEST_CARDS.find((c) => c.number === digits)?.scenario ?? { kind: 'approve' };
}
