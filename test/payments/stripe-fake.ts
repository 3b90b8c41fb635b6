/**
 * A small local fake of the Stripe API endpoints `StripeProvider` calls, for contract tests. It
 * listens on 127.0.0.1 (port 0) and speaks what the official SDK speaks: form-encoded bodies with
 * nested keys (`line_items[0][price_data][unit_amount]`), `expand[]` on reads, `Authorization:
 * Bearer sk_test_…`, `Idempotency-Key` (same key and parameters → the same answer, replayed;
 * same key with other parameters → 400 `idempotency_error`) and Stripe-shaped JSON objects and
 * errors (`{ error: { type, message, code, param } }`).
 *
 * It models only what Checkout in `payment` mode with cards needs: sessions, their PaymentIntent
 * (created when the buyer first submits a card, as Stripe does), charges and refunds. The buyer's
 * side is simulated with helpers (`completePayment`, `declinePayment`, `failAuthentication`,
 * `expireSession`, `successRedirect`); `webhook*` helpers build signed events with the SDK's own
 * `generateTestHeaderString`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

// ---------------------------------------------------------------------------------------------
// Form decoding (the SDK's qs-style encoding)
// ---------------------------------------------------------------------------------------------

export type FormNode = string | FormNode[] | FormObject;
export interface FormObject {
  [key: string]: FormNode;
}

/** Decodes `a[b][0][c]=v&expand[]=x` into nested objects and arrays. */
export function parseForm(encoded: string): FormObject {
  const root: FormObject = {};
  for (const [key, value] of new URLSearchParams(encoded)) {
    const path = keyPath(key);
    if (!path) throw new FakeStripeError(400, 'invalid_request_error', `Invalid parameter name: ${key}`);
    let node: FormObject = root;
    for (let i = 0; i < path.length; i++) {
      let seg = path[i] ?? '';
      if (seg === '') seg = String(Object.keys(node).length);
      if (i === path.length - 1) {
        node[seg] = value;
      } else {
        const next = node[seg];
        if (next === undefined) {
          const created: FormObject = {};
          node[seg] = created;
          node = created;
        } else if (typeof next === 'object' && !Array.isArray(next)) {
          node = next;
        } else {
          throw new FakeStripeError(400, 'invalid_request_error', `Invalid parameter: ${key}`, undefined, key);
        }
      }
    }
  }
  return arraysFromIndexedObjects(root) as FormObject;
}

function keyPath(key: string): string[] | null {
  const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!m) return null;
  const rest = [...(m[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1] ?? '');
  return [m[1] ?? '', ...rest];
}

function arraysFromIndexedObjects(node: FormNode): FormNode {
  if (typeof node === 'string' || Array.isArray(node)) return node;
  const keys = Object.keys(node);
  const converted: FormObject = {};
  for (const k of keys) converted[k] = arraysFromIndexedObjects(node[k] ?? '');
  if (keys.length > 0 && keys.every((k, i) => k === String(i))) return keys.map((k) => converted[k] ?? '');
  return converted;
}

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

type Metadata = Record<string, string>;

interface FakeLineItem {
  name: string;
  unitAmount: number;
  quantity: number;
  currency: string;
}

export interface FakeSession {
  id: string;
  created: number;
  status: 'open' | 'complete' | 'expired';
  paymentStatus: 'paid' | 'unpaid';
  amountTotal: number;
  currency: string;
  lineItems: FakeLineItem[];
  clientReferenceId: string | null;
  customerEmail: string | null;
  metadata: Metadata;
  successUrl: string;
  cancelUrl: string | null;
  expiresAt: number;
  allowedPaymentMethodTypes: string[] | null;
  captureMethod: 'automatic' | 'automatic_async' | 'manual';
  paymentIntentDescription: string | null;
  paymentIntentMetadata: Metadata;
  paymentIntentId: string | null;
  urlFragment: string;
  /** Every parameter the SDK sent, decoded, for assertions. */
  params: FormObject;
}

interface LastPaymentError {
  type: string;
  code: string;
  decline_code?: string;
  message: string;
  charge?: string;
}

export interface FakePaymentIntent {
  id: string;
  created: number;
  sessionId: string;
  amount: number;
  amountCapturable: number;
  amountReceived: number;
  currency: string;
  captureMethod: 'automatic' | 'automatic_async' | 'manual';
  status: 'requires_payment_method' | 'requires_capture' | 'succeeded' | 'canceled';
  description: string | null;
  metadata: Metadata;
  lastPaymentError: LastPaymentError | null;
  latestChargeId: string | null;
  canceledAt: number | null;
  cancellationReason: string | null;
}

export type ThreeDsFlow = 'frictionless' | 'challenge' | 'attempted' | 'failed' | 'none';

export interface FakeCharge {
  id: string;
  created: number;
  paymentIntentId: string;
  amount: number;
  amountCaptured: number;
  amountRefunded: number;
  captured: boolean;
  currency: string;
  status: 'succeeded' | 'failed';
  failureCode: string | null;
  declineCode: string | null;
  brand: string;
  last4: string;
  threeDs: ThreeDsFlow;
  metadata: Metadata;
}

export interface FakeRefund {
  id: string;
  created: number;
  amount: number;
  chargeId: string;
  paymentIntentId: string;
  metadata: Metadata;
}

/** One API request as the fake saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  query: string;
  remoteAddress: string | undefined;
  idempotencyKey: string | null;
  stripeVersion: string | null;
  userAgent: string | null;
  status: number;
  replayed: boolean;
  body: string;
}

export class FakeStripeError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly code?: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

interface StoredAnswer {
  method: string;
  path: string;
  body: string;
  status: number;
  json: string;
}

export interface FakeStripeOptions {
  /** The key the fake accepts (must be a test key). */
  apiKey?: string;
  webhookSecret?: string;
  /** Origin of the `url` in created sessions (default https://checkout.stripe.com). */
  checkoutOrigin?: string;
}

export interface CardSimulation {
  brand?: string;
  last4?: string;
  threeDs?: ThreeDsFlow;
}

export interface SignedWebhook {
  rawBody: string;
  headers: Record<string, string>;
  eventId: string;
}

export interface WebhookOptions {
  /** Sign with another secret (default: the fake's). */
  secret?: string;
  /** Unix seconds of the signature (default: now). */
  timestamp?: number;
  eventId?: string;
}

const API_VERSION = '2026-10-28.endive';

/** Every parameter `POST /v1/checkout/sessions` accepts (SDK v23 `Checkout.SessionCreateParams`); others are refused as Stripe does. */
const SESSION_CREATE_PARAMS = new Set([
  'adaptive_pricing', 'after_expiration', 'allow_promotion_codes', 'allowed_payment_method_types', 'automatic_tax',
  'billing_address_collection', 'branding_settings', 'cancel_url', 'client_reference_id', 'consent_collection',
  'currency', 'custom_fields', 'custom_text', 'customer', 'customer_account', 'customer_creation', 'customer_email',
  'customer_update', 'discounts', 'excluded_payment_method_types', 'expand', 'expires_at', 'integration_identifier',
  'invoice_creation', 'line_items', 'locale', 'managed_payments', 'metadata', 'mode', 'name_collection',
  'optional_items', 'origin_context', 'payment_intent_data', 'payment_method_collection',
  'payment_method_configuration', 'payment_method_data', 'payment_method_options', 'permissions',
  'phone_number_collection', 'redirect_on_completion', 'return_url', 'saved_payment_method_options',
  'setup_intent_data', 'shipping_address_collection', 'shipping_options', 'submit_type', 'subscription_data',
  'success_url', 'tax_id_collection', 'ui_mode', 'wallet_options',
]);

export class FakeStripe {
  readonly apiKey: string;
  readonly webhookSecret: string;
  readonly checkoutOrigin: string;
  readonly sessions = new Map<string, FakeSession>();
  readonly paymentIntents = new Map<string, FakePaymentIntent>();
  readonly charges = new Map<string, FakeCharge>();
  readonly refunds = new Map<string, FakeRefund>();
  readonly requests: SeenRequest[] = [];
  private readonly answers = new Map<string, StoredAnswer>();
  private failures: number[] = [];
  private readonly server = createServer((req, res) => void this.handle(req, res));
  private port = 0;

  constructor(opts: FakeStripeOptions = {}) {
    this.apiKey = opts.apiKey ?? `sk_test_fake_${randomBytes(12).toString('hex')}`;
    if (!this.apiKey.startsWith('sk_test_')) throw new Error('The fake only accepts test keys (sk_test_…)');
    this.webhookSecret = opts.webhookSecret ?? `whsec_fake_${randomBytes(16).toString('hex')}`;
    this.checkoutOrigin = new URL(opts.checkoutOrigin ?? 'https://checkout.stripe.com').origin;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get host(): string {
    return '127.0.0.1';
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What `StripeProvider` needs to talk to this fake. */
  get providerOptions(): { secretKey: string; webhookSecret: string; host: string; port: number; protocol: 'http'; checkoutOrigin: string } {
    return { secretKey: this.apiKey, webhookSecret: this.webhookSecret, host: this.host, port: this.port, protocol: 'http', checkoutOrigin: this.checkoutOrigin };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next `n` API requests get `status` (default 500, which the SDK retries) before doing anything. */
  failNext(n: number, status = 500): void {
    for (let i = 0; i < n; i++) this.failures.push(status);
  }

  session(id: string): FakeSession {
    const s = this.sessions.get(id);
    if (!s) throw new Error(`fake: no session ${id}`);
    this.expireIfDue(s);
    return s;
  }

  paymentIntentOf(sessionId: string): FakePaymentIntent {
    const id = this.session(sessionId).paymentIntentId;
    const pi = id ? this.paymentIntents.get(id) : undefined;
    if (!pi) throw new Error(`fake: session ${sessionId} has no PaymentIntent yet`);
    return pi;
  }

  // ---- the buyer on Stripe's page -----------------------------------------------------------

  /** The buyer pays: approved (and captured, unless the session asked for manual capture). */
  completePayment(sessionId: string, card: CardSimulation = {}): FakeCharge {
    const session = this.openSession(sessionId);
    const pi = this.ensurePaymentIntent(session);
    const charge = this.newCharge(pi, card, 'succeeded');
    pi.lastPaymentError = null;
    pi.latestChargeId = charge.id;
    session.status = 'complete';
    if (pi.captureMethod === 'manual') {
      pi.status = 'requires_capture';
      pi.amountCapturable = pi.amount;
      session.paymentStatus = 'unpaid';
    } else {
      pi.status = 'succeeded';
      pi.amountReceived = pi.amount;
      charge.captured = true;
      charge.amountCaptured = pi.amount;
      session.paymentStatus = 'paid';
    }
    return charge;
  }

  /** The issuer declines the card; the session stays open and the buyer may try another card. */
  declinePayment(sessionId: string, declineCode = 'generic_decline', card: CardSimulation = {}): FakeCharge {
    const session = this.openSession(sessionId);
    const pi = this.ensurePaymentIntent(session);
    const code = declineCode === 'processing_error' || declineCode === 'expired_card' || declineCode === 'incorrect_cvc' ? declineCode : 'card_declined';
    const charge = this.newCharge(pi, card, 'failed');
    charge.failureCode = code;
    charge.declineCode = code === 'processing_error' ? null : declineCode;
    pi.status = 'requires_payment_method';
    pi.latestChargeId = charge.id;
    pi.lastPaymentError = {
      type: 'card_error',
      code,
      ...(charge.declineCode ? { decline_code: charge.declineCode } : {}),
      message: 'Your card was declined.',
      charge: charge.id,
    };
    return charge;
  }

  /** 3-D Secure authentication fails: no charge is made; the session stays open. */
  failAuthentication(sessionId: string): FakePaymentIntent {
    const session = this.openSession(sessionId);
    const pi = this.ensurePaymentIntent(session);
    pi.status = 'requires_payment_method';
    pi.lastPaymentError = {
      type: 'invalid_request_error',
      code: 'payment_intent_authentication_failure',
      message: 'The provided PaymentMethod has failed authentication.',
    };
    return pi;
  }

  /** Time passes beyond `expires_at`. */
  expireSession(sessionId: string): void {
    this.expire(this.openSession(sessionId));
  }

  /** Where Stripe sends the buyer after paying: `success_url` with `{CHECKOUT_SESSION_ID}` substituted. */
  successRedirect(sessionId: string): string {
    const s = this.session(sessionId);
    if (s.status !== 'complete') throw new Error(`fake: session ${sessionId} is ${s.status}, the buyer is not redirected`);
    return s.successUrl.split('{CHECKOUT_SESSION_ID}').join(s.id);
  }

  // ---- webhooks -------------------------------------------------------------------------------

  /** A signed event of `type` whose `data.object` is the session as it is now (nothing expanded). */
  sessionWebhook(type: string, sessionId: string, opts: WebhookOptions = {}): SignedWebhook {
    return this.webhook(type, this.sessionJson(this.session(sessionId), new Set()), opts);
  }

  /** A signed `charge.*` event about the session's latest charge. */
  chargeWebhook(type: string, sessionId: string, opts: WebhookOptions = {}): SignedWebhook {
    const chargeId = this.paymentIntentOf(sessionId).latestChargeId;
    const charge = chargeId ? this.charges.get(chargeId) : undefined;
    if (!charge) throw new Error(`fake: session ${sessionId} has no charge`);
    return this.webhook(type, this.chargeJson(charge), opts);
  }

  /** A signed event around any object, formatted as Stripe sends it (pretty-printed JSON). */
  webhook(type: string, object: object, opts: WebhookOptions = {}): SignedWebhook {
    const eventId = opts.eventId ?? newId('evt');
    const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
    const event = {
      id: eventId,
      object: 'event',
      api_version: API_VERSION,
      created: timestamp,
      data: { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
    const rawBody = JSON.stringify(event, null, 2);
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: rawBody, secret: opts.secret ?? this.webhookSecret, timestamp });
    return { rawBody, eventId, headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' } };
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const idempotencyKey = single(req.headers['idempotency-key']);
    const seen: SeenRequest = {
      method,
      path: url.pathname,
      query: url.search,
      remoteAddress: req.socket.remoteAddress,
      idempotencyKey,
      stripeVersion: single(req.headers['stripe-version']),
      userAgent: single(req.headers['user-agent']),
      status: 0,
      replayed: false,
      body,
    };
    this.requests.push(seen);
    const send = (status: number, json: string, replayed = false): void => {
      seen.status = status;
      seen.replayed = replayed;
      res.writeHead(status, {
        'content-type': 'application/json',
        'request-id': newId('req'),
        'stripe-version': API_VERSION,
        ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
        ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
      });
      res.end(json);
    };
    try {
      this.authenticate(single(req.headers.authorization));
      const failure = this.failures.shift();
      if (failure !== undefined) {
        throw new FakeStripeError(failure, 'api_error', 'An unknown error occurred (injected by the fake).');
      }
      if (method === 'POST' && idempotencyKey) {
        const stored = this.answers.get(idempotencyKey);
        if (stored) {
          if (stored.method !== method || stored.path !== url.pathname || stored.body !== body) {
            throw new FakeStripeError(
              400,
              'idempotency_error',
              `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
            );
          }
          send(stored.status, stored.json, true);
          return;
        }
      }
      if (method === 'POST' && body !== '' && !(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        throw new FakeStripeError(400, 'invalid_request_error', 'Invalid request: bodies must be application/x-www-form-urlencoded.');
      }
      const params = method === 'GET' ? parseForm(url.search.slice(1)) : parseForm(body);
      const result = this.route(method, url.pathname, params);
      const json = JSON.stringify(result);
      // Only successful results are saved here: a refused request may be retried with the same key.
      if (method === 'POST' && idempotencyKey) this.answers.set(idempotencyKey, { method, path: url.pathname, body, status: 200, json });
      send(200, json);
    } catch (err) {
      const e = err instanceof FakeStripeError ? err : new FakeStripeError(500, 'api_error', err instanceof Error ? err.message : 'fake failure');
      const json = JSON.stringify({
        error: {
          type: e.type,
          message: e.message,
          ...(e.code ? { code: e.code } : {}),
          ...(e.param ? { param: e.param } : {}),
          ...(e.code ? { doc_url: `https://stripe.com/docs/error-codes/${e.code.replace(/_/g, '-')}` } : {}),
        },
      });
      send(e.status, json);
    }
  }

  private authenticate(header: string | null): void {
    if (!header) {
      throw new FakeStripeError(401, 'invalid_request_error', 'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth.');
    }
    const m = /^Bearer (\S+)$/.exec(header);
    if (!m || m[1] !== this.apiKey) {
      const key = m?.[1] ?? '';
      throw new FakeStripeError(401, 'invalid_request_error', `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}`);
    }
  }

  private route(method: string, path: string, params: FormObject): object {
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/checkout/sessions') return this.createSession(params);
    if (method === 'GET' && path === '/v1/checkout/sessions') return this.listSessions(params);
    if (method === 'GET' && (m = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path))) {
      return this.sessionJson(this.findSession(decodeURIComponent(m[1] ?? '')), expandSet(params, SESSION_EXPANDABLE));
    }
    if (method === 'POST' && (m = /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/.exec(path))) {
      const s = this.findSession(decodeURIComponent(m[1] ?? ''));
      if (s.status !== 'open') {
        throw new FakeStripeError(400, 'invalid_request_error', `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${s.status}".`);
      }
      this.expire(s);
      return this.sessionJson(s, expandSet(params, SESSION_EXPANDABLE));
    }
    if (method === 'POST' && (m = /^\/v1\/payment_intents\/([^/]+)\/capture$/.exec(path))) {
      return this.capture(this.findPaymentIntent(decodeURIComponent(m[1] ?? '')), params);
    }
    if (method === 'POST' && (m = /^\/v1\/payment_intents\/([^/]+)\/cancel$/.exec(path))) {
      return this.cancelPaymentIntent(this.findPaymentIntent(decodeURIComponent(m[1] ?? '')), params);
    }
    if (method === 'POST' && path === '/v1/refunds') return this.createRefund(params);
    throw new FakeStripeError(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`);
  }

  // ---- endpoints ------------------------------------------------------------------------------

  private createSession(p: FormObject): object {
    for (const key of Object.keys(p)) {
      if (!SESSION_CREATE_PARAMS.has(key)) throw invalid(`Received unknown parameter: ${key}`, key, 'parameter_unknown');
    }
    const mode = str(p, 'mode');
    if (mode === undefined) throw invalid('Missing required param: mode.', 'mode', 'parameter_missing');
    if (mode !== 'payment') throw invalid('The fake supports mode=payment only.', 'mode');
    const successUrl = str(p, 'success_url');
    if (successUrl === undefined) throw invalid('Missing required param: success_url.', 'success_url', 'parameter_missing');
    if (!isHttpUrl(successUrl)) throw invalid('Not a valid URL', 'success_url', 'url_invalid');
    const cancelUrl = str(p, 'cancel_url') ?? null;
    if (cancelUrl !== null && !isHttpUrl(cancelUrl)) throw invalid('Not a valid URL', 'cancel_url', 'url_invalid');

    const rawItems = p.line_items;
    if (!Array.isArray(rawItems) || rawItems.length === 0) {
      throw invalid('You must provide at least one line item.', 'line_items', 'parameter_missing');
    }
    const lineItems = rawItems.map((item, i) => lineItem(item, i));
    const currency = lineItems[0]?.currency ?? 'jpy';
    if (lineItems.some((li) => li.currency !== currency)) throw invalid('All line items must use the same currency.', 'line_items');
    const amountTotal = lineItems.reduce((sum, li) => sum + li.unitAmount * li.quantity, 0);
    if (currency === 'jpy' && amountTotal < 50) throw invalid('The Checkout Session\'s total amount due must add up to at least ¥50', 'line_items', 'amount_too_small');

    const now = nowS();
    let expiresAt = now + 24 * 3600;
    const rawExpires = str(p, 'expires_at');
    if (rawExpires !== undefined) {
      if (!/^\d+$/.test(rawExpires)) throw invalid('Invalid integer: ' + rawExpires, 'expires_at');
      expiresAt = Number(rawExpires);
      if (expiresAt < now + 30 * 60) throw invalid('The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.', 'expires_at');
      if (expiresAt > now + 24 * 3600) throw invalid('The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.', 'expires_at');
    }

    const allowed = p.allowed_payment_method_types;
    if (allowed !== undefined && (!Array.isArray(allowed) || !allowed.every((x) => typeof x === 'string'))) {
      throw invalid('Invalid array', 'allowed_payment_method_types');
    }
    const pid = obj(p, 'payment_intent_data') ?? {};
    const captureMethod = str(pid, 'capture_method') ?? 'automatic_async';
    if (captureMethod !== 'automatic' && captureMethod !== 'automatic_async' && captureMethod !== 'manual') {
      throw invalid(`Invalid payment_intent_data[capture_method]: must be one of automatic, automatic_async, or manual`, 'payment_intent_data[capture_method]');
    }
    const clientReferenceId = str(p, 'client_reference_id') ?? null;
    if (clientReferenceId !== null && clientReferenceId.length > 200) throw invalid('client_reference_id is too long', 'client_reference_id');

    const session: FakeSession = {
      id: newId('cs_test', 58),
      created: now,
      status: 'open',
      paymentStatus: 'unpaid',
      amountTotal,
      currency,
      lineItems,
      clientReferenceId,
      customerEmail: str(p, 'customer_email') ?? null,
      metadata: metadata(p, 'metadata'),
      successUrl,
      cancelUrl,
      expiresAt,
      allowedPaymentMethodTypes: Array.isArray(allowed) ? allowed.filter((x): x is string => typeof x === 'string') : null,
      captureMethod,
      paymentIntentDescription: str(pid, 'description') ?? null,
      paymentIntentMetadata: metadata(pid, 'metadata'),
      paymentIntentId: null,
      urlFragment: randomBytes(12).toString('hex'),
      params: p,
    };
    this.sessions.set(session.id, session);
    return this.sessionJson(session, expandSet(p, SESSION_EXPANDABLE));
  }

  private listSessions(p: FormObject): object {
    const pi = str(p, 'payment_intent');
    const limit = Number(str(p, 'limit') ?? '10');
    const data = [...this.sessions.values()]
      .filter((s) => pi === undefined || s.paymentIntentId === pi)
      .sort((a, b) => b.created - a.created);
    return {
      object: 'list',
      data: data.slice(0, limit).map((s) => this.sessionJson(s, new Set())),
      has_more: data.length > limit,
      url: '/v1/checkout/sessions',
    };
  }

  private capture(pi: FakePaymentIntent, p: FormObject): object {
    if (pi.status !== 'requires_capture') {
      throw new FakeStripeError(
        400,
        'invalid_request_error',
        `This PaymentIntent could not be captured because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
        'payment_intent_unexpected_state',
      );
    }
    const raw = str(p, 'amount_to_capture');
    const amount = raw === undefined ? pi.amountCapturable : Number(raw);
    if (!Number.isSafeInteger(amount) || amount <= 0) throw invalid('Invalid integer', 'amount_to_capture');
    if (amount > pi.amountCapturable) throw invalid('The amount to capture is greater than the amount capturable.', 'amount_to_capture', 'amount_too_large');
    const charge = this.charges.get(pi.latestChargeId ?? '');
    if (!charge) throw new FakeStripeError(500, 'api_error', 'fake: no charge to capture');
    pi.status = 'succeeded';
    pi.amountReceived = amount;
    pi.amountCapturable = 0;
    charge.captured = true;
    charge.amountCaptured = amount;
    // The uncaptured remainder is released, and Stripe counts it in amount_refunded.
    charge.amountRefunded += charge.amount - amount;
    const session = this.sessions.get(pi.sessionId);
    if (session) session.paymentStatus = 'paid';
    return this.paymentIntentJson(pi, expandSet(p, PI_EXPANDABLE));
  }

  private cancelPaymentIntent(pi: FakePaymentIntent, p: FormObject): object {
    const session = this.sessions.get(pi.sessionId);
    if (session) this.expireIfDue(session);
    if (session?.status === 'open') {
      throw invalid('This PaymentIntent is managed by a Checkout Session; expire the Checkout Session instead.', undefined, 'payment_intent_unexpected_state');
    }
    if (pi.status === 'succeeded' || pi.status === 'canceled') {
      throw new FakeStripeError(
        400,
        'invalid_request_error',
        `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
        'payment_intent_unexpected_state',
      );
    }
    if (pi.status === 'requires_capture') {
      const charge = this.charges.get(pi.latestChargeId ?? '');
      if (charge) charge.amountRefunded = charge.amount; // the authorization is released
    }
    pi.status = 'canceled';
    pi.amountCapturable = 0;
    pi.canceledAt = nowS();
    pi.cancellationReason = str(p, 'cancellation_reason') ?? null;
    return this.paymentIntentJson(pi, expandSet(p, PI_EXPANDABLE));
  }

  private createRefund(p: FormObject): object {
    const piId = str(p, 'payment_intent');
    const chargeParam = str(p, 'charge');
    if (piId === undefined && chargeParam === undefined) throw invalid('One of the following params should be provided for this request: payment_intent or charge.', undefined, 'parameter_missing');
    const pi = piId !== undefined ? this.findPaymentIntent(piId) : undefined;
    const charge = this.charges.get(chargeParam ?? pi?.latestChargeId ?? '');
    if (!charge || !charge.captured || charge.status !== 'succeeded') {
      throw invalid(`This PaymentIntent (${piId ?? ''}) does not have a successful charge to refund.`, piId !== undefined ? 'payment_intent' : 'charge');
    }
    const released = charge.amount - charge.amountCaptured;
    const remaining = charge.amountCaptured - (charge.amountRefunded - released);
    if (remaining <= 0) throw invalid(`Charge ${charge.id} has already been refunded.`, undefined, 'charge_already_refunded');
    const raw = str(p, 'amount');
    const amount = raw === undefined ? remaining : Number(raw);
    if (!Number.isSafeInteger(amount) || amount <= 0) throw invalid('Invalid positive integer', 'amount');
    if (amount > remaining) {
      throw invalid(`Refund amount (¥${amount}) is greater than unrefunded amount on charge (¥${remaining})`, 'amount', 'amount_too_large');
    }
    charge.amountRefunded += amount;
    const refund: FakeRefund = { id: newId('re'), created: nowS(), amount, chargeId: charge.id, paymentIntentId: charge.paymentIntentId, metadata: metadata(p, 'metadata') };
    this.refunds.set(refund.id, refund);
    return this.refundJson(refund);
  }

  // ---- helpers --------------------------------------------------------------------------------

  private findSession(id: string): FakeSession {
    const s = this.sessions.get(id);
    if (!s) throw new FakeStripeError(404, 'invalid_request_error', `No such checkout.session: '${id}'`, 'resource_missing', 'session');
    this.expireIfDue(s);
    return s;
  }

  private findPaymentIntent(id: string): FakePaymentIntent {
    const pi = this.paymentIntents.get(id);
    if (!pi) throw new FakeStripeError(404, 'invalid_request_error', `No such payment_intent: '${id}'`, 'resource_missing', 'intent');
    return pi;
  }

  private openSession(id: string): FakeSession {
    const s = this.session(id);
    if (s.status !== 'open') throw new Error(`fake: session ${id} is ${s.status}, the buyer cannot pay`);
    return s;
  }

  private expireIfDue(s: FakeSession): void {
    if (s.status === 'open' && nowS() >= s.expiresAt) this.expire(s);
  }

  private expire(s: FakeSession): void {
    s.status = 'expired';
    const pi = s.paymentIntentId ? this.paymentIntents.get(s.paymentIntentId) : undefined;
    if (pi && pi.status === 'requires_payment_method') {
      pi.status = 'canceled';
      pi.canceledAt = nowS();
      pi.cancellationReason = 'abandoned';
    }
  }

  private ensurePaymentIntent(session: FakeSession): FakePaymentIntent {
    const existing = session.paymentIntentId ? this.paymentIntents.get(session.paymentIntentId) : undefined;
    if (existing) return existing;
    const pi: FakePaymentIntent = {
      id: newId('pi'),
      created: nowS(),
      sessionId: session.id,
      amount: session.amountTotal,
      amountCapturable: 0,
      amountReceived: 0,
      currency: session.currency,
      captureMethod: session.captureMethod,
      status: 'requires_payment_method',
      description: session.paymentIntentDescription,
      metadata: { ...session.paymentIntentMetadata },
      lastPaymentError: null,
      latestChargeId: null,
      canceledAt: null,
      cancellationReason: null,
    };
    this.paymentIntents.set(pi.id, pi);
    session.paymentIntentId = pi.id;
    return pi;
  }

  private newCharge(pi: FakePaymentIntent, card: CardSimulation, status: 'succeeded' | 'failed'): FakeCharge {
    const charge: FakeCharge = {
      id: newId('ch'),
      created: nowS(),
      paymentIntentId: pi.id,
      amount: pi.amount,
      amountCaptured: 0,
      amountRefunded: 0,
      captured: false,
      currency: pi.currency,
      status,
      failureCode: null,
      declineCode: null,
      brand: card.brand ?? 'visa',
      last4: card.last4 ?? '4242',
      threeDs: card.threeDs ?? 'frictionless',
      // The fake copies the PaymentIntent's metadata onto its charges.
      metadata: { ...pi.metadata },
    };
    this.charges.set(charge.id, charge);
    return charge;
  }

  // ---- JSON, shaped like Stripe's objects ----------------------------------------------------

  sessionJson(s: FakeSession, expand: Set<string>): object {
    const pi = s.paymentIntentId ? this.paymentIntents.get(s.paymentIntentId) : undefined;
    const piNested = new Set([...expand].filter((e) => e.startsWith('payment_intent.')).map((e) => e.slice('payment_intent.'.length)));
    return {
      id: s.id,
      object: 'checkout.session',
      allowed_payment_method_types: s.allowedPaymentMethodTypes,
      amount_subtotal: s.amountTotal,
      amount_total: s.amountTotal,
      cancel_url: s.cancelUrl,
      client_reference_id: s.clientReferenceId,
      client_secret: null,
      created: s.created,
      currency: s.currency,
      customer: null,
      customer_email: s.customerEmail,
      expires_at: s.expiresAt,
      livemode: false,
      locale: null,
      metadata: s.metadata,
      mode: 'payment',
      payment_intent: pi ? (expand.has('payment_intent') || piNested.size > 0 ? this.paymentIntentJson(pi, piNested) : pi.id) : null,
      payment_method_types: ['card'],
      payment_status: s.paymentStatus,
      status: s.status,
      success_url: s.successUrl,
      ui_mode: 'hosted',
      url: s.status === 'open' ? `${this.checkoutOrigin}/c/pay/${s.id}#${s.urlFragment}` : null,
    };
  }

  paymentIntentJson(pi: FakePaymentIntent, expand: Set<string>): object {
    const charge = pi.latestChargeId ? this.charges.get(pi.latestChargeId) : undefined;
    return {
      id: pi.id,
      object: 'payment_intent',
      amount: pi.amount,
      amount_capturable: pi.amountCapturable,
      amount_received: pi.amountReceived,
      canceled_at: pi.canceledAt,
      cancellation_reason: pi.cancellationReason,
      capture_method: pi.captureMethod,
      created: pi.created,
      currency: pi.currency,
      description: pi.description,
      last_payment_error: pi.lastPaymentError,
      latest_charge: charge ? (expand.has('latest_charge') ? this.chargeJson(charge) : charge.id) : null,
      livemode: false,
      metadata: pi.metadata,
      payment_method_types: ['card'],
      status: pi.status,
    };
  }

  chargeJson(c: FakeCharge): object {
    const tds =
      c.threeDs === 'none'
        ? null
        : {
            authentication_flow: c.threeDs === 'frictionless' ? 'frictionless' : c.threeDs === 'attempted' ? null : 'challenge',
            electronic_commerce_indicator: c.threeDs === 'failed' ? null : '05',
            exemption_indicator: null,
            result: c.threeDs === 'failed' ? 'failed' : c.threeDs === 'attempted' ? 'attempt_acknowledged' : 'authenticated',
            result_reason: c.threeDs === 'failed' ? 'rejected' : null,
            transaction_id: randomBytes(16).toString('hex'),
            version: '2.2.0',
          };
    return {
      id: c.id,
      object: 'charge',
      amount: c.amount,
      amount_captured: c.amountCaptured,
      amount_refunded: c.amountRefunded,
      captured: c.captured,
      created: c.created,
      currency: c.currency,
      failure_code: c.failureCode,
      failure_message: c.failureCode ? 'Your card was declined.' : null,
      livemode: false,
      metadata: c.metadata,
      outcome: c.status === 'succeeded'
        ? { network_status: 'approved_by_network', reason: null, risk_level: 'normal', seller_message: 'Payment complete.', type: 'authorized' }
        : { network_status: 'declined_by_network', reason: c.declineCode, risk_level: 'normal', seller_message: 'The bank did not return any further details with this decline.', type: 'issuer_declined' },
      paid: c.status === 'succeeded',
      payment_intent: c.paymentIntentId,
      payment_method_details: {
        type: 'card',
        card: {
          brand: c.brand,
          country: 'JP',
          // Stripe returns the expiry; Mamori must not keep it (the contract tests check it does not).
          exp_month: 12,
          exp_year: 2034,
          funding: 'credit',
          last4: c.last4,
          network: c.brand,
          three_d_secure: tds,
        },
      },
      refunded: c.captured && c.amountRefunded >= c.amount,
      status: c.status,
    };
  }

  refundJson(r: FakeRefund): object {
    return {
      id: r.id,
      object: 'refund',
      amount: r.amount,
      charge: r.chargeId,
      created: r.created,
      currency: 'jpy',
      metadata: r.metadata,
      payment_intent: r.paymentIntentId,
      reason: null,
      status: 'succeeded',
    };
  }
}

export async function startFakeStripe(opts: FakeStripeOptions = {}): Promise<FakeStripe> {
  return new FakeStripe(opts).listen();
}

const SESSION_EXPANDABLE = new Set(['payment_intent', 'payment_intent.latest_charge']);
const PI_EXPANDABLE = new Set(['latest_charge']);

function expandSet(p: FormObject, allowed: Set<string>): Set<string> {
  const raw = p.expand;
  if (raw === undefined) return new Set();
  const list = Array.isArray(raw) ? raw : [raw];
  const out = new Set<string>();
  for (const e of list) {
    if (typeof e !== 'string' || !allowed.has(e)) {
      throw invalid(`This property cannot be expanded (${typeof e === 'string' ? e : '?'}).`, 'expand');
    }
    out.add(e);
  }
  return out;
}

function lineItem(item: FormNode, i: number): FakeLineItem {
  const at = `line_items[${i}]`;
  if (typeof item !== 'object' || Array.isArray(item)) throw invalid('Invalid object', at);
  const pd = obj(item, 'price_data');
  if (!pd) throw invalid('The fake supports line items with price_data only.', `${at}[price_data]`, 'parameter_missing');
  const currency = str(pd, 'currency');
  if (!currency) throw invalid('Missing required param: currency.', `${at}[price_data][currency]`, 'parameter_missing');
  const unit = str(pd, 'unit_amount');
  if (unit === undefined || !/^\d+$/.test(unit)) throw invalid('Invalid integer: ' + String(unit), `${at}[price_data][unit_amount]`);
  const name = str(obj(pd, 'product_data') ?? {}, 'name');
  if (!name) throw invalid('Missing required param: name.', `${at}[price_data][product_data][name]`, 'parameter_missing');
  const quantity = str(item, 'quantity') ?? '1';
  if (!/^[1-9]\d*$/.test(quantity)) throw invalid('Invalid positive integer', `${at}[quantity]`);
  return { name, unitAmount: Number(unit), quantity: Number(quantity), currency: currency.toLowerCase() };
}

function str(node: FormObject, key: string): string | undefined {
  const v = node[key];
  return typeof v === 'string' ? v : undefined;
}

function obj(node: FormObject, key: string): FormObject | undefined {
  const v = node[key];
  return typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}

function metadata(node: FormObject, key: string): Metadata {
  const m = obj(node, key) ?? {};
  const out: Metadata = {};
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== 'string') throw invalid('Invalid metadata value', `${key}[${k}]`);
    out[k] = v;
  }
  return out;
}

function invalid(message: string, param?: string, code?: string): FakeStripeError {
  return new FakeStripeError(400, 'invalid_request_error', message, code, param);
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

function single(v: string | string[] | undefined): string | null {
  if (v === undefined) return null;
  return Array.isArray(v) ? (v[0] ?? null) : v;
}

function newId(prefix: string, length = 24): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return `${prefix}_${s}`;
}

function nowS(): number {
  return Math.floor(Date.now() / 1000);
}
