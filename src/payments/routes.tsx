import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound } from '../app/errors.js';
import type { OrderService } from '../checkout/service.js';
import { PayPage } from '../checkout/views.js';
import { parseQuery } from '../shared/validation.js';
import { redirect } from '../web/context.js';
import type { Pages } from '../web/page.js';
import { IgnorableWebhookEvent, WebhookVerificationError } from './provider.js';
import { PaymentUnavailableError, SUSPENDED_MESSAGE, type PaymentRefusal, type PaymentService } from './service.js';

const ORDER_ID = z.object({ id: z.string().regex(/^ord_[0-9A-Z]{16}$/) });
const payQuery = z
  .object({
    t: z.string().max(64),
    error: z.enum(['suspended', 'rate_limited', 'provider_unreachable', 'not_applicable']).optional(),
    cancelled: z.literal('1').optional(),
    failed: z.string().max(40).optional(),
    lang: z.enum(['ja', 'en']).optional(),
  })
  .strict();
const returnQuery = z.object({ t: z.string().max(64), payment: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/) }).strict();

const FAILURE_MESSAGES: Record<string, string> = {
  insufficient_funds: 'カードがご利用いただけませんでした（残高・利用枠不足）。別のカードでお試しください。',
  card_declined: 'カードがご利用いただけませんでした。別のカードでお試しいただくか、カード会社にお問い合わせください。',
  stolen_card: 'カードがご利用いただけませんでした。別のカードでお試しいただくか、カード会社にお問い合わせください。',
  '3ds_failed': '本人認証（3-Dセキュア）が完了しませんでした。もう一度お試しください。',
  processing_error: '決済処理でエラーが発生しました。もう一度お試しください。',
  timeout: '決済の確認が時間内に完了しませんでした。もう一度お試しください。',
};

const REFUSAL_MESSAGES: Record<PaymentRefusal, string> = {
  suspended: SUSPENDED_MESSAGE,
  rate_limited: 'カード決済のお試し回数が上限に達しました。時間をおいてお試しいただくか、他のお支払い方法をご利用ください。',
  provider_unreachable: '決済サービスに接続できませんでした。時間をおいて再度お試しください。',
  not_applicable: 'このご注文はお支払い手続きの対象ではありません。',
};

export function paymentRoutes(app: FastifyInstance, deps: { payments: PaymentService; orders: OrderService; pages: Pages }): void {
  const { payments, orders, pages } = deps;

  app.get('/orders/:id/pay', async (req, reply) => {
    const p = ORDER_ID.safeParse(req.params);
    if (!p.success) throw notFound('ご注文');
    const q = parseQuery(payQuery, req.query);
    const order = await orders.getWithToken(p.data.id, q.t);
    if (!order) throw notFound('ご注文');
    if (order.payment_status === 'paid') return redirect(reply, `/orders/${order.id}?t=${q.t}`);
    const message = q.error
      ? REFUSAL_MESSAGES[q.error]
      : q.failed
        ? (FAILURE_MESSAGES[q.failed] ?? 'お支払いが完了しませんでした。もう一度お試しください。')
        : q.cancelled ? 'お支払いは完了していません。' : null;
    return pages.render(req, reply, (v) => <PayPage v={v} order={order} message={message} action={`/orders/${order.id}/pay?t=${q.t}`} />);
  });

  app.post('/orders/:id/pay', async (req, reply) => {
    const p = ORDER_ID.safeParse(req.params);
    if (!p.success) throw notFound('ご注文');
    const q = parseQuery(payQuery, req.query);
    const order = await orders.getWithToken(p.data.id, q.t);
    if (!order) throw notFound('ご注文');
    try {
      return redirect(reply, await payments.startCardPayment(order, { ip: req.ip, sessionTokenHash: req.visitor.tokenHash }));
    } catch (err) {
      if (err instanceof PaymentUnavailableError) {
        return pages.render(req, reply, (v) => <PayPage v={v} order={order} message={err.message} action={`/orders/${order.id}/pay?t=${q.t}`} />, 409);
      }
      throw err;
    }
  });

  // The buyer comes back from the provider. The URL proves nothing: the provider is asked.
  app.get('/checkout/return/:id', async (req, reply) => {
    const p = ORDER_ID.safeParse(req.params);
    if (!p.success) throw notFound('ご注文');
    const q = parseQuery(returnQuery, req.query);
    const order = await orders.getWithToken(p.data.id, q.t);
    if (!order) throw notFound('ご注文');
    const payment = await payments.handleReturn(order.id, q.payment);
    if (!payment) throw notFound('お支払い');
    const fresh = await orders.getById(order.id);
    if (fresh?.payment_status === 'paid') return redirect(reply, `/orders/${order.id}?t=${q.t}&thanks=1`);
    if (payment.status === 'pending') return redirect(reply, `/orders/${order.id}?t=${q.t}`);
    return redirect(reply, `/orders/${order.id}/pay?t=${q.t}&failed=${encodeURIComponent(payment.failure_code ?? 'card_declined')}`);
  });

  // Provider webhooks: authenticated by their signature, so no CSRF token; the raw body is verified.
  app.post('/payments/webhook/:provider', { config: { csrf: false } }, async (req, reply) => {
    const raw = typeof req.body === 'string' ? req.body : '';
    if ((req.params as { provider?: string }).provider !== payments.providerName) return reply.code(404).send({ error: 'unknown provider' });
    let event;
    try {
      event = payments.parseWebhook(raw, req.headers);
    } catch (err) {
      if (err instanceof IgnorableWebhookEvent) {
        req.log.info({ eventType: err.eventType }, 'webhook acknowledged and ignored');
        return reply.send({ received: true, ignored: err.eventType });
      }
      if (err instanceof WebhookVerificationError) {
        req.log.warn({ reason: err.message }, 'webhook rejected');
        return reply.code(400).send({ error: 'invalid signature' });
      }
      throw err;
    }
    const result = await payments.handleWebhook(event);
    if (result === 'duplicate') req.log.info({ eventId: event.eventId }, 'webhook replay ignored');
    return reply.send({ received: true, result });
  });
}
