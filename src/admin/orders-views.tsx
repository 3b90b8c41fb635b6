import type { ComponentChildren } from 'preact';
import { CARRIERS, cancelProblem, formatTrackingNumber, transitionProblem, type Carrier, type OrderDetail } from '../checkout/admin-service.js';
import { CHANNEL_LABELS, destinationOf, METHOD_LABELS, PAYMENT_STATUS_LABELS, STATUS_LABELS } from '../checkout/exports.js';
import type { OrderLineTable, OrderStatus, OrderTable } from '../checkout/tables.js';
import { OrderLinesTable, TotalsTable } from '../checkout/views.js';
import type { ShopSettings } from '../settings/defaults.js';
import { formatDateJa, formatInstantJa, jstDate } from '../shared/time.js';
import { formatYen } from '../web/i18n.js';
import type { AdminCtx } from './layout.js';
import { linkState } from '../payments/links.js';
import type { PaymentLinkTable } from '../payments/tables.js';
import { Csrf } from './components.js';

/** What the list's filter form holds, as typed (strings), for re-display and links. */
export type FilterValues = Partial<Record<'status' | 'payment' | 'channel' | 'from' | 'to' | 'q', string>>;

export const ORDER_STATUSES = ['pending_payment', 'new', 'paid', 'preparing', 'shipped', 'delivered', 'cancelled'] as const satisfies readonly OrderStatus[];

export function query(values: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function Flash(props: { kind: 'success' | 'error' | 'info'; children: ComponentChildren }) {
  return (
    <div class={`alert alert-${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}


function StatusTag(props: { status: string }) {
  return <span class={`tag status-${props.status}`}>{STATUS_LABELS[props.status] ?? props.status}</span>;
}

// ---------------------------------------------------------------------------------------------
// List

export function OrdersListView(props: {
  c: AdminCtx;
  values: FilterValues;
  rows: OrderTable[];
  total: number;
  page: number;
  pages: number;
  error?: string | undefined;
}) {
  const { c, values: v } = props;
  const filterQuery = { status: v.status, payment: v.payment, channel: v.channel, from: v.from, to: v.to, q: v.q };
  const today = jstDate();
  return (
    <>
      {props.error ? <Flash kind="error">{props.error}</Flash> : null}
      <form method="get" action={`${c.base}/orders`} class="filters" role="search">
        <div class="field">
          <label for="f-status">状態</label>
          <select id="f-status" name="status">
            <option value="">すべて</option>
            {ORDER_STATUSES.map((s) => <option value={s} selected={v.status === s}>{STATUS_LABELS[s]}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="f-payment">支払方法</label>
          <select id="f-payment" name="payment">
            <option value="">すべて</option>
            {Object.entries(METHOD_LABELS).map(([k, label]) => <option value={k} selected={v.payment === k}>{label}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="f-channel">受付経路</label>
          <select id="f-channel" name="channel">
            <option value="">すべて</option>
            {Object.entries(CHANNEL_LABELS).map(([k, label]) => <option value={k} selected={v.channel === k}>{label}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="f-from">注文日（から）</label>
          <input id="f-from" type="date" name="from" value={v.from ?? ''} />
        </div>
        <div class="field">
          <label for="f-to">注文日（まで）</label>
          <input id="f-to" type="date" name="to" value={v.to ?? ''} />
        </div>
        <div class="field">
          <label for="f-q">キーワード</label>
          <input id="f-q" type="search" name="q" value={v.q ?? ''} maxLength={100} placeholder="注文番号・氏名・電話番号・メール" />
        </div>
        <button type="submit" class="btn">絞り込む</button>
        <a class="btn secondary" href={`${c.base}/orders`}>条件をクリア</a>
      </form>
      <p><a class="btn" href={`${c.base}/orders/new`}>電話・FAX・はがきの注文を入力</a></p>
      <p>
        {props.total}件{props.total > 0 ? `（${props.page} / ${props.pages}ページ）` : ''}
        {' '}日付は日本時間（JST）です。
      </p>
      <details class="panel">
        <summary>この条件で出力する（CSV）</summary>
        <p class="hint">個人情報を含むため、出力は監査ログに記録されます。配送業者の送り状データには、キャンセル・決済待ちのご注文は含まれません。</p>
        <p><a class="btn secondary" href={`${c.base}/orders/export/orders.csv${query(filterQuery)}`}>注文CSV（明細ごと）</a></p>
        <form method="get" action={`${c.base}/orders/export/yamato-b2.csv`} class="filters">
          {Object.entries(filterQuery).map(([k, val]) => (val ? <input type="hidden" name={k} value={val} /> : null))}
          <div class="field"><label for="b2-date">出荷予定日</label><input id="b2-date" type="date" name="ship_date" value={today} /></div>
          <div class="field"><label for="b2-billing">請求先顧客コード</label><input id="b2-billing" name="billing_code" inputMode="numeric" maxLength={12} placeholder="01234567890" /></div>
          <div class="field"><label for="b2-class">分類コード</label><input id="b2-class" name="billing_class" inputMode="numeric" maxLength={3} /></div>
          <div class="field"><label for="b2-freight">運賃管理番号</label><input id="b2-freight" name="freight_no" inputMode="numeric" maxLength={2} placeholder="01" /></div>
          <button type="submit" class="btn secondary">ヤマト B2クラウド用CSV</button>
        </form>
        <form method="get" action={`${c.base}/orders/export/sagawa.csv`} class="filters">
          {Object.entries(filterQuery).map(([k, val]) => (val ? <input type="hidden" name={k} value={val} /> : null))}
          <div class="field"><label for="sg-date">出荷日</label><input id="sg-date" type="date" name="ship_date" value={today} /></div>
          <div class="field"><label for="sg-code">お客様コード</label><input id="sg-code" name="customer_code" inputMode="numeric" maxLength={12} /></div>
          <button type="submit" class="btn secondary">佐川 e飛伝III用CSV</button>
        </form>
      </details>
      <table>
        <thead>
          <tr><th>注文番号</th><th>注文日時</th><th>注文者</th><th>お届け先</th><th>支払</th><th>状態</th><th class="num">合計</th></tr>
        </thead>
        <tbody>
          {props.rows.map((o) => (
            <tr>
              <td><a href={`${c.base}/orders/${o.id}`}>{o.order_number}</a></td>
              <td>{formatInstantJa(o.placed_at)}</td>
              <td>{o.orderer_name}<br /><small class="hint">{o.orderer_phone}</small></td>
              <td>{o.ship_to_orderer ? '注文者と同じ' : `${o.shipping_name ?? ''}（${o.shipping_prefecture ?? ''}）`}</td>
              <td>{METHOD_LABELS[o.payment_method]}<br /><small class="hint">{PAYMENT_STATUS_LABELS[o.payment_status] ?? o.payment_status}{o.channel !== 'web' ? ` / ${CHANNEL_LABELS[o.channel] ?? o.channel}` : ''}</small></td>
              <td><StatusTag status={o.status} /></td>
              <td class="num">{formatYen(o.total_yen)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.rows.length === 0 ? <p>条件に合うご注文はありません。</p> : null}
      {props.pages > 1 ? (
        <nav class="pager" aria-label="ページ">
          {props.page > 1 ? <a rel="prev" href={`${c.base}/orders${query({ ...filterQuery, page: props.page - 1 })}`}>前へ</a> : null}
          {' '}<span>{props.page} / {props.pages}</span>{' '}
          {props.page < props.pages ? <a rel="next" href={`${c.base}/orders${query({ ...filterQuery, page: props.page + 1 })}`}>次へ</a> : null}
        </nav>
      ) : null}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Detail

export const DONE_MESSAGES = {
  status: '状態を変更しました。',
  shipped: '発送済みにしました。ご注文者に発送のお知らせメールを送ります。',
  tracking: '追跡番号を訂正しました（メールは送られません）。',
  cancelled: 'ご注文をキャンセルしました。在庫を戻しました。',
  refunded: '返金しました。',
  bank: '入金を記録しました。',
  note: 'メモを追加しました。',
  resent: '確認メールを再送しました。',
  entered: 'ご注文を登録しました。',
  link_issued: 'お支払いリンクを発行しました（以前のリンクは無効になりました）。',
  link_sent: 'お支払いリンクをメールで送りました。',
  link_revoked: 'お支払いリンクを無効にしました。',
} as const;

/** Staff entry and payment links of an order (issue #9), shown on its page. */
export interface EntryInfo {
  /** Name and e-mail of the staff member who entered the order, or their id if they no longer exist. */
  enteredBy: string | null;
  links: PaymentLinkTable[];
  current: { url: string; expiresAt: string } | null;
  /** Why no link can be issued (not a card order, paid, cancelled), or null. */
  linkProblem: string | null;
}

function linkStateLabel(l: PaymentLinkTable, o: OrderTable): string {
  const labels: Record<string, string> = { open: '有効', paid: '使用済み（お支払い完了）', expired: '期限切れ', revoked: '無効（取り消し・再発行）', closed: '対象外' };
  return labels[linkState(l, o)] ?? '';
}

function PaymentLinks(props: { c: AdminCtx; o: OrderTable; e: EntryInfo }) {
  const { c, o, e } = props;
  const url = `${c.base}/orders/${o.id}/payment-link`;
  return (
    <section class="panel" aria-labelledby="h-links">
      <h2 id="h-links">お支払いリンク（カード）</h2>
      <p class="hint">お客様はこのリンクから決済代行会社のページでカード情報を入力します。カード番号を電話やFAXで受け取ったり、ここに書いたりしないでください。</p>
      {e.current ? (
        <dl class="kv">
          <dt>現在のリンク</dt><dd><input type="text" readOnly value={e.current.url} aria-label="お支払いリンクのURL" size={60} class="link-url" /></dd>
          <dt>有効期限</dt><dd>{formatInstantJa(e.current.expiresAt)}</dd>
        </dl>
      ) : <p>有効なリンクはありません。</p>}
      {e.linkProblem === null ? (
        <div class="filters">
          <form method="post" action={`${url}/issue`}>
            <Csrf c={c} />
            <button type="submit" class="btn secondary" data-confirm={e.current ? '新しいリンクを発行すると、今のリンクは使えなくなります。発行しますか？' : undefined}>{e.current ? 'リンクを再発行' : 'リンクを発行'}</button>
          </form>
          {e.current && o.orderer_email ? (
            <form method="post" action={`${url}/send`}>
              <Csrf c={c} />
              <button type="submit" class="btn secondary">リンクをメールで送る（{o.orderer_email}）</button>
            </form>
          ) : null}
          {e.current ? (
            <form method="post" action={`${url}/revoke`}>
              <Csrf c={c} />
              <button type="submit" class="btn danger" data-confirm="リンクを無効にしますか？ 有効なリンクがなくなると、ご注文は自動的にキャンセルされ在庫が戻ります。">リンクを無効にする</button>
            </form>
          ) : null}
        </div>
      ) : <p class="hint">{e.linkProblem}</p>}
      {e.links.length > 0 ? (
        <table>
          <thead><tr><th>発行日時</th><th>発行者</th><th>有効期限</th><th>状態</th><th>お客様が開いた日時</th></tr></thead>
          <tbody>
            {e.links.map((l) => (
              <tr><td>{formatInstantJa(l.created_at)}</td><td>{l.created_by}</td><td>{formatInstantJa(l.expires_at)}</td><td>{linkStateLabel(l, o)}</td><td>{l.opened_at ? formatInstantJa(l.opened_at) : '—'}</td></tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
export type DoneCode = keyof typeof DONE_MESSAGES;

function Address(props: { name: string; kana: string | null; postalCode: string; prefecture: string; address1: string; address2: string | null; phone: string; fax?: string | null; email?: string | null }) {
  const a = props;
  return (
    <dl class="kv">
      <dt>氏名</dt><dd>{a.name} 様{a.kana ? `（${a.kana}）` : ''}</dd>
      <dt>住所</dt><dd>〒{a.postalCode} {a.prefecture}{a.address1}{a.address2 ? <><br />{a.address2}</> : null}</dd>
      <dt>電話</dt><dd>{a.phone}</dd>
      {a.fax ? <><dt>FAX</dt><dd>{a.fax}</dd></> : null}
      {a.email ? <><dt>メール</dt><dd>{a.email}</dd></> : null}
    </dl>
  );
}

const ROUNDING_LABELS: Record<string, string> = { floor: '切り捨て', round: '四捨五入', ceil: '切り上げ' };

function lineItems(lines: OrderLineTable[]) {
  return lines.map((l) => ({ name: l.name, sku: l.sku, unitPriceYen: l.unit_price_yen, quantity: l.quantity, taxRate: l.tax_rate, totalYen: l.line_total_yen }));
}

function totalsOf(o: OrderTable) {
  return {
    itemsTotalYen: o.items_total_yen, shippingFeeYen: o.shipping_fee_yen, codFeeYen: o.cod_fee_yen, totalYen: o.total_yen,
    taxable8Yen: o.taxable_8_yen, tax8Yen: o.tax_8_yen, taxable10Yen: o.taxable_10_yen, tax10Yen: o.tax_10_yen,
  };
}

function CarrierSelect(props: { id: string; value?: string | undefined }) {
  return (
    <select id={props.id} name="carrier" required>
      {(Object.keys(CARRIERS) as Carrier[]).map((k) => <option value={k} selected={props.value === k}>{CARRIERS[k].label}</option>)}
    </select>
  );
}

const STATUS_BUTTONS: { to: OrderStatus; label: string }[] = [
  { to: 'preparing', label: '発送準備中にする' },
  { to: 'delivered', label: '配達完了にする' },
];

function Actions(props: { c: AdminCtx; d: OrderDetail; values: Record<string, string> }) {
  const { c, d, values } = props;
  const o = d.order;
  const url = `${c.base}/orders/${o.id}`;
  const canCancel = cancelProblem(o, d.refundableYen > 0, true) === null;
  const shipped = o.status === 'shipped' || o.status === 'delivered';
  return (
    <section class="panel" aria-labelledby="h-actions">
      <h2 id="h-actions">操作</h2>
      <div class="filters">
        {STATUS_BUTTONS.filter((b) => transitionProblem(o, b.to) === null).map((b) => (
          <form method="post" action={`${url}/status`}>
            <Csrf c={c} />
            <input type="hidden" name="to" value={b.to} />
            <button type="submit" class="btn">{b.label}</button>
          </form>
        ))}
        <a class="btn secondary" href={`${url}/packing-slip`}>納品書を印刷</a>
        <a class="btn secondary" href={`${url}/reply-sheet.pdf`}>注文確認書（FAX返信票）PDF</a>
        {o.orderer_email && o.status !== 'pending_payment' && o.status !== 'cancelled' ? (
          <form method="post" action={`${url}/resend-confirmation`}>
            <Csrf c={c} />
            <button type="submit" class="btn secondary" data-confirm="ご注文確認メールを再送しますか？">確認メールを再送</button>
          </form>
        ) : null}
      </div>
      {(o.payment_method === 'bank_transfer' || o.payment_method === 'postal_transfer') && o.payment_status === 'pending' && o.status === 'new' ? (
        <form method="post" action={`${url}/bank-transfer`}>
          <Csrf c={c} />
          <h3>入金確認（{o.payment_method === 'postal_transfer' ? '郵便振替' : '銀行振込'}）</h3>
          <div class="filters">
            <div class="field"><label for="bt-amount">入金額（円）</label><input id="bt-amount" name="amount" inputMode="numeric" required value={values.amount ?? String(o.total_yen)} /></div>
            <div class="field"><label for="bt-date">入金日</label><input id="bt-date" type="date" name="received_on" required value={values.received_on ?? jstDate()} /></div>
            <div class="field"><label><input type="checkbox" name="accept_difference" value="1" /> 金額の差異を確認した</label></div>
            <button type="submit" class="btn">入金を記録</button>
          </div>
        </form>
      ) : null}
      {transitionProblem(o, 'shipped') === null ? (
        <form method="post" action={`${url}/ship`}>
          <Csrf c={c} />
          <h3>発送</h3>
          <div class="filters">
            <div class="field"><label for="sh-carrier">配送業者</label><CarrierSelect id="sh-carrier" value={values.carrier} /></div>
            <div class="field"><label for="sh-tracking">追跡番号</label><input id="sh-tracking" name="tracking" required inputMode="numeric" maxLength={20} value={values.tracking ?? ''} placeholder="1234-5678-9012" /></div>
            <button type="submit" class="btn">発送済みにする（お知らせメール送信）</button>
          </div>
        </form>
      ) : null}
      {shipped ? (
        <form method="post" action={`${url}/tracking`}>
          <Csrf c={c} />
          <h3>追跡番号の訂正</h3>
          <div class="filters">
            <div class="field"><label for="tr-carrier">配送業者</label><CarrierSelect id="tr-carrier" value={values.carrier ?? d.shipments[0]?.carrier} /></div>
            <div class="field"><label for="tr-tracking">追跡番号</label><input id="tr-tracking" name="tracking" required inputMode="numeric" maxLength={20} value={values.tracking ?? ''} /></div>
            <button type="submit" class="btn secondary">訂正する</button>
          </div>
        </form>
      ) : null}
      {o.payment_method === 'card' && d.refundableYen > 0 ? (
        <form method="post" action={`${url}/refund`}>
          <Csrf c={c} />
          <h3>返金（決済代行会社経由）</h3>
          <p class="hint">返金できる残額: {formatYen(d.refundableYen)}。金額を空欄にすると残額を全額返金します。</p>
          <div class="filters">
            <div class="field"><label for="rf-amount">返金額（円）</label><input id="rf-amount" name="amount" inputMode="numeric" value={values.amount ?? ''} /></div>
            <button type="submit" class="btn danger" data-confirm="返金します。取り消せません。よろしいですか？">返金する</button>
          </div>
        </form>
      ) : null}
      {canCancel ? (
        <form method="post" action={`${url}/cancel`}>
          <Csrf c={c} />
          <h3>キャンセル</h3>
          <p class="hint">在庫はキャンセル時に一度だけ戻ります。{o.payment_method === 'bank_transfer' && o.payment_status === 'paid' ? '入金済みの振込代金は別途お振込みで返金してください。' : ''}</p>
          <div class="field"><label for="cn-reason">理由（任意・社内用）</label><input id="cn-reason" name="reason" maxLength={200} value={values.reason ?? ''} /></div>
          {d.refundableYen > 0 ? (
            <div class="field"><label><input type="checkbox" name="refund" value="1" /> カード決済を全額返金してキャンセル（{formatYen(d.refundableYen)}）</label></div>
          ) : null}
          <button type="submit" class="btn danger" data-confirm="このご注文をキャンセルしますか？">キャンセルする</button>
        </form>
      ) : null}
    </section>
  );
}

export function OrderDetailView(props: { c: AdminCtx; d: OrderDetail; done?: DoneCode | undefined; error?: string | undefined; values?: Record<string, string> | undefined; entry?: EntryInfo | undefined }) {
  const { c, d } = props;
  const o = d.order;
  const dest = destinationOf(o);
  return (
    <>
      {props.done ? <Flash kind="success">{DONE_MESSAGES[props.done]}</Flash> : null}
      {props.error ? <Flash kind="error">{props.error}</Flash> : null}
      <p><a href={`${c.base}/orders`}>← 注文一覧</a></p>
      <section class="panel" aria-labelledby="h-summary">
        <h2 id="h-summary">概要</h2>
        <dl class="kv">
          <dt>状態</dt><dd><StatusTag status={o.status} /></dd>
          <dt>支払方法</dt><dd>{METHOD_LABELS[o.payment_method]}（{PAYMENT_STATUS_LABELS[o.payment_status] ?? o.payment_status}）</dd>
          <dt>注文日時</dt><dd>{formatInstantJa(o.placed_at)}</dd>
          <dt>受付経路</dt><dd>{CHANNEL_LABELS[o.channel] ?? o.channel}</dd>
          {o.entered_by ? <><dt>入力スタッフ</dt><dd>{props.entry?.enteredBy ?? o.entered_by}</dd></> : null}
          <dt>合計（税込）</dt><dd>{formatYen(o.total_yen)}</dd>
          <dt>在庫</dt><dd>{o.stock_released ? '戻し済み' : '引当中'}</dd>
        </dl>
      </section>
      <Actions c={c} d={d} values={props.values ?? {}} />
      {props.entry && o.payment_method === 'card' && (o.channel !== 'web' || props.entry.links.length > 0) ? <PaymentLinks c={c} o={o} e={props.entry} /> : null}
      <div class="grid">
        <section class="panel" aria-labelledby="h-orderer">
          <h2 id="h-orderer">ご注文者</h2>
          <Address name={o.orderer_name} kana={o.orderer_kana} postalCode={o.orderer_postal_code} prefecture={o.orderer_prefecture} address1={o.orderer_address1} address2={o.orderer_address2} phone={o.orderer_phone} fax={o.orderer_fax} email={o.orderer_email} />
        </section>
        <section class="panel" aria-labelledby="h-dest">
          <h2 id="h-dest">お届け先{o.ship_to_orderer ? '（ご注文者と同じ）' : '（ギフト・別住所）'}</h2>
          <Address name={dest.name} kana={dest.kana || null} postalCode={dest.postalCode} prefecture={dest.prefecture} address1={dest.address1} address2={dest.address2 || null} phone={dest.phone} />
          <dl class="kv">
            <dt>お届け希望日</dt><dd>{o.delivery_date ? formatDateJa(o.delivery_date) : '指定なし'}</dd>
            <dt>時間帯</dt><dd>{o.delivery_slot ?? '指定なし'}</dd>
          </dl>
        </section>
      </div>
      <section class="panel" aria-labelledby="h-note">
        <h2 id="h-note">備考（お客様の入力）</h2>
        {o.note ? <p class="pre">{o.note}</p> : <p class="hint">なし</p>}
      </section>
      <section class="panel" aria-labelledby="h-lines">
        <h2 id="h-lines">明細</h2>
        <OrderLinesTable lines={lineItems(d.lines)} />
        <TotalsTable t={totalsOf(o)} />
        <p class="hint">※は軽減税率（8%）対象。消費税は税率ごとの合計から算出（端数処理: {ROUNDING_LABELS[o.rounding] ?? o.rounding}）。</p>
      </section>
      {d.shipments.length > 0 ? (
        <section class="panel" aria-labelledby="h-ship">
          <h2 id="h-ship">発送</h2>
          <table>
            <thead><tr><th>記録日時</th><th>配送業者</th><th>追跡番号</th><th>記録者</th></tr></thead>
            <tbody>
              {d.shipments.map((s, i) => (
                <tr>
                  <td>{formatInstantJa(s.recorded_at)}{i > 0 ? '（訂正前）' : ''}</td>
                  <td>{CARRIERS[s.carrier]?.label ?? s.carrier}</td>
                  <td><a href={CARRIERS[s.carrier]?.trackingUrl(s.tracking_number)} rel="noopener noreferrer" target="_blank">{formatTrackingNumber(s.tracking_number)}</a></td>
                  <td>{s.recorded_by}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
      <section class="panel" aria-labelledby="h-pay">
        <h2 id="h-pay">お支払い</h2>
        {d.receipt ? (
          <p>銀行振込の入金: {formatYen(d.receipt.amount_yen)}（{formatDateJa(d.receipt.received_on)}入金、{d.receipt.recorded_by} が記録）</p>
        ) : null}
        {d.payments.length === 0 && !d.receipt ? <p class="hint">決済の記録はありません。</p> : null}
        {d.payments.map((p) => (
          <div>
            <dl class="kv">
              <dt>決済</dt><dd>{p.provider} / {p.provider_payment_id ?? '—'}</dd>
              <dt>状態</dt><dd>{p.status}{p.failure_code ? `（${p.failure_code}）` : ''}</dd>
              <dt>金額</dt><dd>{formatYen(p.amount_yen)}{p.refunded_yen > 0 ? `（返金済み ${formatYen(p.refunded_yen)}）` : ''}</dd>
              <dt>カード</dt><dd>{p.brand ? p.brand.toUpperCase() : '—'} {p.last4 ? `末尾 ${p.last4}` : ''}</dd>
              <dt>3-Dセキュア</dt><dd>{p.three_ds ?? '—'}</dd>
            </dl>
            <table>
              <thead><tr><th>日時</th><th>経路</th><th>内容</th><th>状態の変化</th></tr></thead>
              <tbody>
                {p.events.map((e) => (
                  <tr><td>{formatInstantJa(e.at)}</td><td>{e.source}</td><td>{e.type}{e.detail ? ` ${e.detail}` : ''}</td><td>{e.status_from ?? ''} → {e.status_to ?? ''}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      </section>
      <section class="panel" aria-labelledby="h-notes">
        <h2 id="h-notes">社内メモ（お客様には表示されません）</h2>
        <form method="post" action={`${c.base}/orders/${o.id}/notes`}>
          <Csrf c={c} />
          <div class="field">
            <label for="nt-body">メモ</label>
            <textarea id="nt-body" name="body" rows={3} maxLength={2000} required>{props.values?.body ?? ''}</textarea>
          </div>
          <button type="submit" class="btn secondary">メモを追加</button>
        </form>
        {d.notes.map((n) => (
          <article class="note">
            <p class="hint">{formatInstantJa(n.at)} {n.author}</p>
            <p class="pre">{n.body}</p>
          </article>
        ))}
      </section>
      <section class="panel" aria-labelledby="h-mails">
        <h2 id="h-mails">送信したメール</h2>
        {d.mails.length === 0 ? <p class="hint">なし</p> : (
          <table>
            <thead><tr><th>作成日時</th><th>件名</th><th>宛先</th><th>状態</th><th>キー</th></tr></thead>
            <tbody>
              {d.mails.map((m) => (
                <tr>
                  <td>{formatInstantJa(m.created_at)}</td>
                  <td>{m.subject}</td>
                  <td>{m.to_address}</td>
                  <td>{m.status === 'sent' ? `送信済み（${m.sent_at ? formatInstantJa(m.sent_at) : ''}）` : m.status === 'failed' ? `失敗: ${m.last_error ?? ''}` : `送信待ち（試行 ${m.attempts}回）`}</td>
                  <td><small>{m.dedupe_key}</small></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section class="panel" aria-labelledby="h-events">
        <h2 id="h-events">履歴</h2>
        <table>
          <thead><tr><th>日時</th><th>種類</th><th>内容</th></tr></thead>
          <tbody>
            {d.events.map((e) => <tr><td>{formatInstantJa(e.at)}</td><td>{e.type}</td><td>{e.detail ?? ''}</td></tr>)}
          </tbody>
        </table>
      </section>
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Packing slip (納品書): a page of its own, printed from the browser.

export function PackingSlip(props: { c: AdminCtx; order: OrderTable; lines: OrderLineTable[]; settings: ShopSettings }) {
  const { c, order: o, settings: s } = props;
  const dest = destinationOf(o);
  // A gift's slip goes to the recipient: no prices on it.
  const prices = Boolean(o.ship_to_orderer);
  return (
    <html lang="ja">
      <head>
        <meta charSet="utf-8" />
        <meta name="robots" content="noindex, nofollow" />
        <title>{`納品書 ${o.order_number}`}</title>
        <link rel="stylesheet" href={c.css.url} integrity={c.css.integrity} />
      </head>
      <body class="admin packing-slip">
        <main class="admin-main">
          <h1>納品書</h1>
          <p>ご注文番号: <strong>{o.order_number}</strong> ／ ご注文日: {formatInstantJa(o.placed_at).split(' ')[0]}</p>
          <div class="grid">
            <section>
              <h2>お届け先</h2>
              <p>〒{dest.postalCode}<br />{dest.prefecture}{dest.address1}{dest.address2 ? <><br />{dest.address2}</> : null}<br />{dest.name} 様</p>
              {!o.ship_to_orderer ? <p>ご依頼主: {o.orderer_name} 様</p> : null}
            </section>
            <section>
              <h2>発送元</h2>
              <p>{s.shop.name}（{s.shop.company}）<br />〒{s.shop.postalCode} {s.shop.address}<br />TEL {s.shop.phone}</p>
            </section>
          </div>
          <table>
            <thead>
              <tr><th>商品</th><th>SKU</th>{prices ? <th class="num">単価（税込）</th> : null}<th class="num">数量</th>{prices ? <th class="num">金額</th> : null}</tr>
            </thead>
            <tbody>
              {props.lines.map((l) => (
                <tr>
                  <td>{l.name}{l.tax_rate === 8 ? ' ※' : ''}</td>
                  <td>{l.sku}</td>
                  {prices ? <td class="num">{formatYen(l.unit_price_yen)}</td> : null}
                  <td class="num">{l.quantity}</td>
                  {prices ? <td class="num">{formatYen(l.line_total_yen)}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
          {prices ? <TotalsTable t={totalsOf(o)} /> : null}
          {prices ? <p class="hint">※は軽減税率（8%）対象商品です。</p> : null}
          <p>お届け希望: {o.delivery_date ? formatDateJa(o.delivery_date) : '指定なし'} {o.delivery_slot ?? ''}</p>
          {o.payment_method === 'cod' ? <p><strong>代金引換: {formatYen(o.total_yen)}</strong></p> : null}
          <p class="hint">このたびはご注文いただき、誠にありがとうございました。</p>
        </main>
      </body>
    </html>
  );
}
