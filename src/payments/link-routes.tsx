import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { OrderService } from '../checkout/service.js';
import type { OrderLineTable } from '../checkout/tables.js';
import { OrderLinesTable, TotalsTable } from '../checkout/views.js';
import { formatYen } from '../web/i18n.js';
import { Csrf, Layout, Notice } from '../web/layout.js';
import { redirect } from '../web/context.js';
import type { Pages } from '../web/page.js';
import type { ViewCtx } from '../web/view.js';
import type { PaymentLinkService, PaymentLinkState, ResolvedLink } from './links.js';
import { PaymentUnavailableError } from './service.js';

const PARAMS = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/) }).strict();
const NO_QUERY = z.object({}).strict();

const STATE_MESSAGES: Record<Exclude<PaymentLinkState, 'open'>, { title: string; text: string }> = {
  paid: { title: 'お支払い済みです', text: 'このご注文のお支払いはすでに完了しています。このリンクからもう一度お支払いいただくことはありません。' },
  expired: { title: 'リンクの有効期限が切れています', text: 'このお支払いリンクは有効期限が切れました。お手数ですが、お電話で当店にご連絡ください。新しいリンクをお送りします。' },
  revoked: { title: 'このリンクは使えません', text: 'このお支払いリンクは無効になりました（新しいリンクが発行された可能性があります）。最新のご案内のリンクをご利用いただくか、当店にご連絡ください。' },
  closed: { title: 'お支払い手続きの対象ではありません', text: 'このご注文はお支払い手続きの対象ではありません（キャンセル済みなど）。ご不明な点は当店にご連絡ください。' },
};

/**
 * `/pay/<token>`: the buyer's side of a payment link (issue #9). Only an open link offers the button
 * to the provider's page; a used, expired or revoked link says so and never starts a payment.
 */
export function paymentLinkRoutes(app: FastifyInstance, deps: { links: PaymentLinkService; orders: OrderService; pages: Pages }): void {
  const { links, orders, pages } = deps;

  app.get('/pay/:token', async (req, reply) => {
    const p = PARAMS.safeParse(req.params);
    if (!p.success || !NO_QUERY.safeParse(req.query ?? {}).success) {
      return pages.render(req, reply, (v) => <PaymentLinkPage v={v} r={null} lines={[]} message={null} token="" />, 404);
    }
    const r = await links.resolve(p.data.token);
    const lines = r ? await orders.lines(r.order.id) : [];
    return pages.render(req, reply, (v) => <PaymentLinkPage v={v} r={r} lines={lines} message={null} token={p.data.token} />, r ? 200 : 404);
  });

  app.post('/pay/:token', async (req, reply) => {
    const p = PARAMS.safeParse(req.params);
    if (!p.success) return pages.render(req, reply, (v) => <PaymentLinkPage v={v} r={null} lines={[]} message={null} token="" />, 404);
    try {
      const result = await links.start(p.data.token, { ip: req.ip, sessionTokenHash: req.visitor.tokenHash });
      if ('redirect' in result) return redirect(reply, result.redirect);
      const r = result.refused;
      const lines = r ? await orders.lines(r.order.id) : [];
      return pages.render(req, reply, (v) => <PaymentLinkPage v={v} r={r} lines={lines} message={null} token={p.data.token} />, r ? 409 : 404);
    } catch (err) {
      if (err instanceof PaymentUnavailableError) {
        const r = await links.resolve(p.data.token);
        const lines = r ? await orders.lines(r.order.id) : [];
        return pages.render(req, reply, (v) => <PaymentLinkPage v={v} r={r} lines={lines} message={err.message} token={p.data.token} />, 409);
      }
      throw err;
    }
  });
}

export function PaymentLinkPage(props: { v: ViewCtx; r: ResolvedLink | null; lines: OrderLineTable[]; message: string | null; token: string }) {
  const { v, r } = props;
  if (!r) {
    return (
      <Layout v={v} title="お支払いリンク" narrow>
        <h1>このリンクは無効です</h1>
        <p>お支払いリンクが見つかりません。メールやFAXに記載のURLを、途中で切れていないかご確認ください。ご不明な点は当店にご連絡ください。</p>
      </Layout>
    );
  }
  const o = r.order;
  const expires = new Date(r.link.expires_at).toLocaleString('ja-JP', { timeZone: 'Asia/Tokyo', dateStyle: 'long', timeStyle: 'short' });
  return (
    <Layout v={v} title="カードでのお支払い" narrow>
      {r.state === 'open' ? <h1>カードでのお支払い</h1> : <h1>{STATE_MESSAGES[r.state].title}</h1>}
      {props.message ? <Notice kind="error">{props.message}</Notice> : null}
      {r.state !== 'open' ? <Notice kind="info">{STATE_MESSAGES[r.state].text}</Notice> : null}
      <div class="panel">
        <dl class="kv">
          <dt>ご注文番号</dt><dd>{o.order_number}</dd>
          <dt>ご注文者</dt><dd>{o.orderer_name} 様</dd>
          <dt>お支払い金額</dt><dd>{formatYen(o.total_yen)}（税込）</dd>
          {r.state === 'open' ? <><dt>有効期限</dt><dd>{expires}</dd></> : null}
        </dl>
      </div>
      {r.state === 'open' ? (
        <>
          <OrderLinesTable lines={props.lines.map((l) => ({ name: l.name, sku: l.sku, unitPriceYen: l.unit_price_yen, quantity: l.quantity, taxRate: l.tax_rate, totalYen: l.line_total_yen }))} />
          <TotalsTable t={{ itemsTotalYen: o.items_total_yen, shippingFeeYen: o.shipping_fee_yen, codFeeYen: o.cod_fee_yen, totalYen: o.total_yen, taxable8Yen: o.taxable_8_yen, tax8Yen: o.tax_8_yen, taxable10Yen: o.taxable_10_yen, tax10Yen: o.tax_10_yen }} />
          <form method="post" action={`/pay/${props.token}`}>
            <Csrf v={v} />
            <p class="hint">決済代行会社の安全なページに移動します。カード番号はそのページでのみ入力してください。当店がお電話・FAX・メールでカード番号をお尋ねすることはありません。</p>
            <button class="btn block" type="submit" data-once>カード決済ページへ進む</button>
          </form>
        </>
      ) : null}
    </Layout>
  );
}
