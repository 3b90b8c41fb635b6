import type { AddressInfo } from 'node:net';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  PAYMENT_ID_PATTERN,
  captureRequestSchema,
  createSessionRequestSchema,
  refundRequestSchema,
} from '../src/payments/providers/sandbox-protocol.js';
import { CSS_PATH, ICON_PATH, PSP_CSS, PSP_ICON_SVG } from './assets.js';
import { THREE_DS_MAX_TRIES, validateCard, type FieldErrors } from './cards.js';
import { PaymentEngine, PspError, toProviderPayment } from './payments.js';
import { bearerMatches, contentSecurityPolicy, cspOrigin, redactCardLike } from './security.js';
import { PspStore, type PaymentRow } from './store.js';
import { challengePage, payPage, processingPage, statusPage } from './views.js';
import { Worker } from './worker.js';

export interface PspOptions {
  host: string;
  /** 0 picks a free port; the handle's `url` then carries the real one. */
  port: number;
  /** The store lives at `<dataDir>/psp/psp.sqlite`. */
  dataDir: string;
  apiKey: string;
  webhookSecret: string;
  /** Base URL buyers reach the hosted page at (default: the bound URL). */
  publicUrl?: string;
  logLevel?: string;
  /** First webhook retry delay (default 1000 ms); attempt n waits base × 2^(n−1). */
  webhookRetryBaseMs?: number;
  /** Webhook attempts before a delivery is given up (default 10). */
  webhookMaxAttempts?: number;
  /** How long the "timeout" test card stays pending before it fails (default 5000 ms). */
  timeoutDelayMs?: number;
  /** Log destination (default stdout); tests use it to check that nothing card-like is logged. */
  logStream?: { write(line: string): void };
}

export interface PspHandle {
  /** The bound URL, e.g. `http://127.0.0.1:3100`. */
  url: string;
  /** The base of hosted-page URLs handed to buyers. */
  publicUrl: string;
  /** Path of the SQLite file. */
  databaseFile: string;
  close(): Promise<void>;
}

const optionsSchema = z.object({
  host: z.string().min(1),
  port: z.number().int().min(0).max(65535),
  dataDir: z.string().min(1),
  apiKey: z.string().min(8),
  webhookSecret: z.string().min(8),
  // An origin: the hosted pages use root-relative links (`/pay/…`, `/assets/…`).
  publicUrl: z
    .url({ protocol: /^https?$/ })
    .refine((u) => new URL(u).pathname === '/' && new URL(u).search === '', 'publicUrl must be an origin without a path')
    .optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  webhookRetryBaseMs: z.number().int().min(1).optional(),
  webhookMaxAttempts: z.number().int().min(1).max(50).optional(),
  timeoutDelayMs: z.number().int().min(0).optional(),
});

const idParams = z.object({ id: z.string().regex(PAYMENT_ID_PATTERN) });

// Form fields of the hosted page. Anything missing reads as empty; anything absurd is refused.
const cardFormSchema = z.object({
  cardNumber: z.string().max(40).default(''),
  expiry: z.string().max(16).default(''),
  cvc: z.string().max(8).default(''),
  name: z.string().max(200).default(''),
});
const challengeFormSchema = z.object({ code: z.string().max(16).default('') });

const NOT_FOUND = new PspError(404, 'not_found', 'No such payment');

function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  // Issue messages name the field and the rule, never the value.
  const details = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
  throw new PspError(400, 'invalid_request', details);
}

function paymentId(params: unknown): string {
  const parsed = idParams.safeParse(params);
  if (!parsed.success) throw NOT_FOUND;
  return parsed.data.id;
}

/** `returnUrl` with `payment=<id>` set, keeping its other query parameters. */
export function returnUrlFor(payment: PaymentRow): string {
  const url = new URL(payment.return_url);
  url.searchParams.set('payment', payment.id);
  return url.toString();
}

function boundUrl(host: string, port: number): string {
  let h = host;
  if (h === '0.0.0.0' || h === '') h = '127.0.0.1';
  else if (h === '::') h = '[::1]';
  else if (h.includes(':') && !h.startsWith('[')) h = `[${h}]`;
  return `http://${h}:${port}`;
}

export async function startPsp(options: PspOptions): Promise<PspHandle> {
  const opts = { ...options, ...optionsSchema.parse(options) };
  const store = new PspStore(opts.dataDir);
  let publicUrl = '';
  let wakeWorker: () => void = () => undefined;
  const engine = new PaymentEngine(store, {
    timeoutDelayMs: opts.timeoutDelayMs ?? 5000,
    onWork: () => wakeWorker(),
  });

  const app = Fastify({
    bodyLimit: 64 * 1024,
    logger: {
      level: opts.logLevel ?? 'info',
      ...(opts.logStream ? { stream: opts.logStream } : {}),
      // Bodies are never logged; URLs and errors pass through a card-number mask anyway.
      serializers: {
        req: (req) => ({ method: req.method, url: redactCardLike(req.url), remoteAddress: req.ip }),
        err: (err) => ({
          type: err.name,
          code: err.code,
          message: redactCardLike(err.message),
          stack: redactCardLike(err.stack ?? ''),
        }),
      },
    },
  });
  const worker = new Worker(store, engine, {
    webhookSecret: opts.webhookSecret,
    retryBaseMs: opts.webhookRetryBaseMs ?? 1000,
    maxAttempts: opts.webhookMaxAttempts ?? 10,
    log: app.log,
  });
  wakeWorker = () => worker.wake();

  await app.register(formbody, { bodyLimit: 16 * 1024 });

  app.addHook('onRequest', async (_req, reply) => {
    reply.header('content-security-policy', contentSecurityPolicy());
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-resource-policy', 'same-origin');
    reply.header('cache-control', 'no-store');
  });

  const isPageRequest = (req: FastifyRequest) => req.url.startsWith('/pay/') || req.url === '/pay';

  function sendPage(reply: FastifyReply, status: number, body: string, payment: PaymentRow | null) {
    if (payment) {
      const origins = [cspOrigin(payment.return_url), cspOrigin(payment.cancel_url)].filter((o): o is string => o !== null);
      reply.header('content-security-policy', contentSecurityPolicy(origins));
    }
    return reply.code(status).type('text/html; charset=utf-8').send(body);
  }

  function notFoundPage(reply: FastifyReply) {
    return sendPage(
      reply,
      404,
      statusPage({
        payment: null,
        tone: 'error',
        title: { ja: 'お支払いが見つかりません', en: 'Payment not found' },
        message: { ja: 'URLをご確認のうえ、ショップからやり直してください。', en: 'Check the link, or start again from the shop.' },
        link: null,
      }),
      null,
    );
  }

  app.setErrorHandler((err: unknown, req, reply) => {
    let status = 500;
    let code = 'internal_error';
    let message = 'Internal error';
    if (err instanceof PspError) {
      status = err.statusCode;
      code = err.code;
      message = err.message;
    } else {
      const e = err as { statusCode?: unknown };
      if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
        status = e.statusCode;
        // Parser messages can quote the body; answer with a fixed text instead.
        code = status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'invalid_body';
        message = status === 413 ? 'Request body is too large' : status === 415 ? 'Unsupported content type' : 'Request body could not be parsed';
      }
    }
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ statusCode: status, code }, 'request rejected');
    if (isPageRequest(req)) {
      if (status === 404) return notFoundPage(reply);
      return sendPage(
        reply,
        status,
        statusPage({
          payment: null,
          tone: 'error',
          title: { ja: 'エラーが発生しました', en: 'Something went wrong' },
          message: { ja: 'お手数ですが、もう一度お試しください。', en: 'Please try again.' },
          link: null,
        }),
        null,
      );
    }
    return reply.code(status).send({ error: code, message });
  });

  app.setNotFoundHandler((req, reply) => {
    if (isPageRequest(req)) return notFoundPage(reply);
    return reply.code(404).send({ error: 'not_found', message: 'Not found' });
  });

  // ---- assets and health ----

  app.get(CSS_PATH, async (_req, reply) =>
    reply.header('cache-control', 'public, max-age=31536000, immutable').type('text/css; charset=utf-8').send(PSP_CSS),
  );
  app.get(ICON_PATH, async (_req, reply) =>
    reply.header('cache-control', 'public, max-age=31536000, immutable').type('image/svg+xml').send(PSP_ICON_SVG),
  );
  app.get('/healthz', async () => ({ status: 'ok', service: 'mamori-psp-sandbox', time: new Date().toISOString() }));

  // ---- server API ----

  await app.register(
    async (api) => {
      api.addHook('onRequest', async (req, reply) => {
        if (!bearerMatches(req.headers.authorization, opts.apiKey)) {
          reply.header('www-authenticate', 'Bearer realm="mamori-psp"');
          return reply.code(401).send({ error: 'unauthorized', message: 'Missing or wrong API key' });
        }
      });

      api.post('/sessions', async (req, reply) => {
        const body = parseOrThrow(createSessionRequestSchema, req.body);
        const { created, payment } = engine.createSession(body);
        return reply.code(created ? 201 : 200).send({
          providerPaymentId: payment.id,
          redirectUrl: `${publicUrl}/pay/${payment.id}`,
          expiresAt: payment.expires_at,
        });
      });

      api.get('/payments/:id', async (req) => {
        const payment = engine.get(paymentId(req.params));
        if (!payment) throw NOT_FOUND;
        return toProviderPayment(payment);
      });

      api.get('/payments/:id/events', async (req) => {
        const payment = engine.get(paymentId(req.params));
        if (!payment) throw NOT_FOUND;
        return {
          attempts: store.attempts(payment.id).map((a) => ({
            attemptId: a.id,
            state: a.state,
            brand: a.brand,
            last4: a.last4,
            threeDs: a.three_ds,
            failureCode: a.failure_code,
            createdAt: a.created_at,
          })),
          events: store.events(payment.id).map((e) => {
            const d = store.deliveryForEvent(e.id);
            return {
              eventId: e.id,
              type: e.type,
              createdAt: e.created_at,
              delivery: d ? { state: d.state, attempts: d.attempts, lastStatus: d.last_status } : null,
            };
          }),
        };
      });

      api.post('/payments/:id/capture', async (req) => {
        const id = paymentId(req.params);
        const body = parseOrThrow(captureRequestSchema, req.body);
        return toProviderPayment(engine.capture(id, body.amountYen));
      });

      api.post('/payments/:id/cancel', async (req) => {
        const id = paymentId(req.params);
        parseOrThrow(z.object({}), req.body);
        return toProviderPayment(engine.cancel(id));
      });

      api.post('/payments/:id/refunds', async (req, reply) => {
        const id = paymentId(req.params);
        const body = parseOrThrow(refundRequestSchema, req.body);
        const { created, payment, refund } = engine.refund(id, body.amountYen, body.idempotencyKey);
        return reply.code(created ? 201 : 200).send({
          ...toProviderPayment(payment),
          refund: { refundId: refund.id, amountYen: refund.amount_yen, createdAt: refund.created_at },
        });
      });
    },
    { prefix: '/v1' },
  );

  // ---- hosted payment page ----

  /** The page for a payment that is not waiting for a card right now, or the form. */
  function statePage(reply: FastifyReply, payment: PaymentRow) {
    switch (payment.status) {
      case 'paid':
      case 'authorized':
      case 'refunded':
      case 'partially_refunded':
        return sendPage(
          reply,
          200,
          statusPage({
            payment,
            tone: 'ok',
            title: { ja: 'お支払いが完了しました', en: 'Payment complete' },
            message: { ja: 'このご注文のお支払いは完了しています。', en: 'This order has been paid.' },
            link: { href: returnUrlFor(payment), ja: 'ショップに戻る', en: 'Return to the shop' },
          }),
          payment,
        );
      case 'cancelled':
        return sendPage(
          reply,
          200,
          statusPage({
            payment,
            tone: 'info',
            title: { ja: 'お支払いはキャンセルされました', en: 'Payment cancelled' },
            message: { ja: 'このお支払いはキャンセルされています。', en: 'This payment has been cancelled.' },
            link: { href: payment.cancel_url, ja: 'ショップに戻る', en: 'Return to the shop' },
          }),
          payment,
        );
      case 'expired':
        return sendPage(
          reply,
          200,
          statusPage({
            payment,
            tone: 'info',
            title: { ja: 'お支払いの有効期限が切れました', en: 'This payment has expired' },
            message: { ja: 'お手数ですが、ショップからもう一度お手続きください。', en: 'Please start again from the shop.' },
            link: { href: payment.cancel_url, ja: 'ショップに戻る', en: 'Return to the shop' },
          }),
          payment,
        );
      case 'pending':
      case 'failed': {
        if (engine.openAttempt(payment.id)?.state === 'processing') {
          return sendPage(reply, 200, processingPage(payment, returnUrlFor(payment)), payment);
        }
        return sendPage(reply, 200, payPage(payment, { previousFailure: payment.status === 'failed' ? payment.failure_code : null }), payment);
      }
    }
  }

  function lookupPage(params: unknown): PaymentRow | null {
    const parsed = idParams.safeParse(params);
    if (!parsed.success) return null;
    return engine.get(parsed.data.id) ?? null;
  }

  app.get('/pay/:id', async (req, reply) => {
    const payment = lookupPage(req.params);
    if (!payment) return notFoundPage(reply);
    return statePage(reply, payment);
  });

  app.post('/pay/:id', async (req, reply) => {
    const payment = lookupPage(req.params);
    if (!payment) return notFoundPage(reply);
    if (!engine.isPayable(payment)) return reply.redirect(`/pay/${payment.id}`, 303);
    const previousFailure = payment.status === 'failed' ? payment.failure_code : null;

    const form = cardFormSchema.safeParse(req.body ?? {});
    if (!form.success) {
      const errors: FieldErrors = {};
      for (const issue of form.error.issues) {
        const field = issue.path[0];
        if (field === 'cardNumber' || field === 'expiry' || field === 'cvc' || field === 'name') {
          errors[field] = '入力内容が正しくありません。 / This value is not valid.';
        }
      }
      if (Object.keys(errors).length === 0) errors.cardNumber = '入力内容が正しくありません。 / This value is not valid.';
      return sendPage(reply, 400, payPage(payment, { errors, previousFailure }), payment);
    }
    const checked = validateCard(form.data);
    if (!checked.ok) {
      // The number, expiry and code are not echoed back: the buyer types them again.
      return sendPage(reply, 422, payPage(payment, { errors: checked.errors, name: form.data.name.trim(), previousFailure }), payment);
    }
    const result = engine.submitCard(payment.id, checked.card);
    switch (result.kind) {
      case 'finished':
        return reply.redirect(returnUrlFor(result.payment), 303);
      case 'challenge':
        return reply.redirect(`/pay/${payment.id}/3ds`, 303);
      case 'processing':
      case 'not_payable':
        return reply.redirect(`/pay/${payment.id}`, 303);
    }
  });

  app.get('/pay/:id/3ds', async (req, reply) => {
    const payment = lookupPage(req.params);
    if (!payment) return notFoundPage(reply);
    const attempt = engine.openAttempt(payment.id);
    if (!engine.isPayable(payment) || attempt?.state !== 'challenge') return reply.redirect(`/pay/${payment.id}`, 303);
    return sendPage(
      reply,
      200,
      challengePage(payment, attempt, { triesLeft: THREE_DS_MAX_TRIES - attempt.challenge_failures, wrongCode: false }),
      payment,
    );
  });

  app.post('/pay/:id/3ds', async (req, reply) => {
    const payment = lookupPage(req.params);
    if (!payment) return notFoundPage(reply);
    const form = challengeFormSchema.safeParse(req.body ?? {});
    const code = form.success ? form.data.code.trim() : '';
    const result = engine.submitChallenge(payment.id, code);
    switch (result.kind) {
      case 'finished':
        return reply.redirect(returnUrlFor(result.payment), 303);
      case 'not_payable':
        return reply.redirect(`/pay/${payment.id}`, 303);
      case 'retry': {
        const attempt = engine.openAttempt(payment.id);
        if (!attempt) return reply.redirect(`/pay/${payment.id}`, 303);
        return sendPage(reply, 422, challengePage(payment, attempt, { triesLeft: result.triesLeft, wrongCode: true }), payment);
      }
    }
  });

  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    await app.close().catch(() => undefined);
    store.close();
    throw err;
  }
  const address = app.server.address() as AddressInfo;
  const url = boundUrl(opts.host, address.port);
  publicUrl = (opts.publicUrl ?? url).replace(/\/+$/, '');
  worker.start();

  let closing: Promise<void> | null = null;
  return {
    url,
    publicUrl,
    databaseFile: store.file,
    close() {
      closing ??= (async () => {
        await worker.stop();
        await app.close();
        store.close();
      })();
      return closing;
    },
  };
}
