import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AlertService } from '../alerts/service.js';
import { hmacBase64url } from '../shared/ids.js';
import { luhnValid } from '../shared/luhn.js';

export { luhnValid };

/**
 * The PAN tripwire. The shop never accepts card data: a request carrying something that looks
 * like a card number (Luhn-valid, 13–19 digits, with or without spaces or hyphens, full-width
 * digits too) or a field named like a card field is refused before any other handling — on every
 * route, known or not, before CSRF — never logged with its value, and raises a critical alert.
 * A form that posts cards to the shop means someone changed the page.
 */

/** Fields whose values are opaque tokens of the shop's own making, never typed by a person. */
const KNOWN_NON_CARD_FIELDS = new Set(['_csrf', 'checkout_token', 'entry_token', 't', 'token', 'payment']);

export const CARD_FIELD_NAME = /(card.?(num|no\b|number)|cc.?(num|number|no\b)|^pan$|cvc|cvv|cvn|csc|security.?code|card.?code|card.?verif|exp(iry|iration)?.?(date|month|year)|cc.?exp|cardholder|card.?holder)/i;

export interface Trip {
  reason: 'card_number' | 'card_field_name';
  field: string;
}

/**
 * True if the text holds a Luhn-valid number of 13–19 digits (single spaces or hyphens allowed
 * between digits, full-width digits too) that starts like a payment card: 2–6, the major industry
 * identifiers of every brand sold in Japan (Visa 4, Mastercard 2/5, JCB/Amex/Diners 3, Discover and
 * UnionPay 6). That leaves out 13-digit millisecond timestamps (1…), which are Luhn-valid one time
 * in ten and turn up in e-mail addresses. A longer run is checked for a card number at its start,
 * which is how skimmed data is usually concatenated (number + expiry + code).
 */
export function containsCardNumber(text: string): boolean {
  const normalised = text.normalize('NFKC').replace(/[‐‑‒–—―−ー]/g, '-');
  for (const m of normalised.matchAll(/\d(?:[ -]?\d){12,}/g)) {
    // The fractional part of a decimal number (3.2269029999…) is no card number.
    if (m.index > 1 && normalised[m.index - 1] === '.' && /\d/.test(normalised[m.index - 2]!)) continue;
    const digits = m[0].replace(/[ -]/g, '');
    if (digits[0]! < '2' || digits[0]! > '6') continue;
    if (digits.length <= 19 && luhnValid(digits)) return true;
    if (digits.length > 19) {
      for (let len = 13; len <= 19; len++) if (luhnValid(digits.slice(0, len))) return true;
    }
    // Grouped as people write it, then followed by more digits ("4242 4242 4242 4242 12/30",
    // a number read out with its expiry): the leading groups that make 13–19 digits are checked.
    const groups = m[0].split(/[ -]/);
    let joined = '';
    for (const g of groups.slice(0, -1)) {
      joined += g;
      if (joined.length >= 13 && joined.length <= 19 && luhnValid(joined)) return true;
      if (joined.length > 19) break;
    }
  }
  return false;
}

/** Inspects name/value pairs; returns the first trip. */
export function inspectFields(fields: Iterable<[string, string]>): Trip | null {
  for (const [name, value] of fields) {
    if (CARD_FIELD_NAME.test(name)) return { reason: 'card_field_name', field: name };
    if (KNOWN_NON_CARD_FIELDS.has(name)) continue;
    if (containsCardNumber(value)) return { reason: 'card_number', field: name };
  }
  return null;
}

/** Name/value pairs of a body, whatever its type: form, JSON, or anything else as one blob. */
export function bodyFields(contentType: string, body: string): [string, string][] {
  if (contentType.includes('application/x-www-form-urlencoded')) {
    try {
      return [...new URLSearchParams(body)];
    } catch {
      return [['_body', body]];
    }
  }
  if (contentType.includes('json')) {
    try {
      const out: [string, string][] = [];
      const walk = (v: unknown, key: string) => {
        if (v === null || v === undefined) return;
        if (typeof v === 'object') {
          for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
            out.push([k, '']);
            walk(child, k);
          }
        } else out.push([key, String(v)]);
      };
      walk(JSON.parse(body) as unknown, '_body');
      return out;
    } catch {
      return [['_body', body]];
    }
  }
  // multipart and anything else: field names and values are scanned as text.
  const names = [...body.matchAll(/(?<![A-Za-z])name="([^"]{1,100})"/g)].map((m): [string, string] => [m[1]!, '']);
  return [...names, ['_body', body]];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Bytes the tripwire reads before refusing a body with 413 (default: its own limit). */
    tripwireMaxBodyBytes?: number;
  }
}

export class CardDataRefused extends Error {
  readonly statusCode = 400;
  constructor(message = 'カード番号などのカード情報は当店では受け付けていません。カード情報は決済代行会社のページでのみ入力してください。') {
    super(message);
  }
}

/**
 * What staff see when they type a card number into any admin field (a note, an address…): nothing
 * was saved, and the way to take a card payment by phone, FAX or postcard is a payment link.
 */
export const ADMIN_CARD_DATA_MESSAGE =
  'カード番号らしき数字が入力されたため、送信を受け付けませんでした（何も保存していません）。' +
  'Mamoriではカード番号を入力・保存・メモしないでください。お電話やFAXでカード払いを希望されたお客様には、' +
  'ご注文を「クレジットカード（お支払いリンク）」で登録し、お支払いリンクをメール、または注文確認書（FAX返信票）でお送りしてください。' +
  'お客様がカード番号を読み上げたり書いたりした場合、その番号は書き留めず、FAXの用紙は裁断してください。';

export function installPanTripwire(app: FastifyInstance, deps: { alerts: AlertService; hashKey: string; maxBodyBytes: number; adminPath?: string }): void {
  const isAdmin = (path: string) => deps.adminPath !== undefined && (path === deps.adminPath || path.startsWith(`${deps.adminPath}/`));
  const trip = async (req: FastifyRequest, t: Trip, where: 'query' | 'body') => {
    const path = req.url.split('?')[0]!;
    if (isAdmin(path)) {
      // In the admin console this is a staff member typing a number read out on the phone or
      // written on a FAX, not a tampered page: refused the same way, recorded as a warning (it
      // does not suspend card payments), and answered with what to do instead.
      await deps.alerts
        .raise({
          severity: 'warning',
          kind: 'pan_tripwire_admin',
          dedupeKey: `pan_tripwire_admin:${req.method}:${path}:${t.field}`,
          message: `管理画面の項目「${t.field}」にカード番号らしき値が入力され、受け付けませんでした（${req.method} ${path}、保存していません）。スタッフにお支払いリンクの使い方を確認してください。`,
          evidence: { method: req.method, path, where, field: t.field, reason: t.reason, ipHash: hmacBase64url(deps.hashKey, `ip:${req.ip}`) },
        })
        .catch((err: unknown) => req.log.error({ err }, 'could not record the PAN tripwire alert'));
      req.log.warn({ field: t.field, reason: t.reason, where }, 'card data refused by the PAN tripwire (admin)');
      throw new CardDataRefused(ADMIN_CARD_DATA_MESSAGE);
    }
    await deps.alerts
      .raise({
        severity: 'critical',
        kind: 'pan_tripwire',
        dedupeKey: `pan_tripwire:${req.method}:${req.url.split('?')[0]}:${t.field}`,
        message: `カード情報らしき値がショップに送信されました（${req.method} ${req.url.split('?')[0]}、項目「${t.field}」）。ページが改ざんされている可能性があります。`,
        evidence: {
          method: req.method,
          path: req.url.split('?')[0],
          where,
          field: t.field,
          reason: t.reason,
          ipHash: hmacBase64url(deps.hashKey, `ip:${req.ip}`),
          userAgent: String(req.headers['user-agent'] ?? '').slice(0, 200),
        },
      })
      .catch((err: unknown) => req.log.error({ err }, 'could not record the PAN tripwire alert'));
    req.log.warn({ field: t.field, reason: t.reason, where }, 'card data refused by the PAN tripwire');
    throw new CardDataRefused();
  };

  // Callback style: most requests have no query string, and this runs on every one of them.
  app.addHook('onRequest', (req, _reply, done) => {
    const q = req.url.indexOf('?');
    const t = q < 0 ? null : inspectFields(new URLSearchParams(req.url.slice(q + 1)));
    if (!t) return done();
    trip(req, t, 'query').then(() => done(), (err: Error) => done(err));
  });

  // Before any parser: the raw body is read once (bounded), inspected, then handed on unchanged.
  app.addHook('preParsing', (req, _reply, payload, done) => {
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) return done(null, payload);
    inspectBody(req, payload).then((replay) => done(null, replay), (err: Error) => done(err));
  });

  const inspectBody = async (req: FastifyRequest, payload: AsyncIterable<unknown>): Promise<Readable> => {
    const chunks: Buffer[] = [];
    let size = 0;
    // A route may allow a larger body (image uploads); it is still read and inspected in full.
    const limit = req.routeOptions.config.tripwireMaxBodyBytes ?? deps.maxBodyBytes;
    for await (const chunk of payload) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      size += b.length;
      if (size > limit) {
        const err = new Error('Request body is too large') as Error & { statusCode: number; code: string };
        err.statusCode = 413;
        err.code = 'FST_ERR_CTP_BODY_TOO_LARGE';
        throw err;
      }
      chunks.push(b);
    }
    const raw = Buffer.concat(chunks);
    const text = raw.toString('utf8');
    const t = inspectFields(bodyFields(String(req.headers['content-type'] ?? ''), text));
    if (t) await trip(req, t, 'body');
    const replay = Readable.from([raw]) as Readable & { receivedEncodedLength?: number };
    replay.receivedEncodedLength = raw.length;
    return replay;
  };
}
