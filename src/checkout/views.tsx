import type { CustomerAddressTable } from '../customers/tables.js';
import type { PaymentTable } from '../payments/tables.js';
import type { ShopSettings } from '../settings/defaults.js';
import { PREFECTURES } from '../shared/jp.js';
import { addDays, formatDateJa, formatInstantJa, jstDate } from '../shared/time.js';
import { formatYen } from '../web/i18n.js';
import { Csrf, ErrorSummary, Field, Layout, Notice, Select } from '../web/layout.js';
import type { ViewCtx } from '../web/view.js';
import { bankTransferDue, PAYMENT_LABELS, postalTransferDue } from './mails.js';
import type { Quote } from './service.js';
import type { OrderLineTable, OrderTable } from './tables.js';

type Values = Record<string, string>;
type Errors = Record<string, string>;

function Steps(props: { current: 1 | 2 | 3 }) {
  const labels = ['ご注文情報の入力', 'ご注文内容の確認', 'ご注文完了'];
  return (
    <ol class="steps">
      {labels.map((l, i) => <li aria-current={i + 1 === props.current ? 'step' : undefined}>{l}</li>)}
    </ol>
  );
}

function AddressFields(props: { prefix: 'orderer_' | 'ship_'; values: Values; errors: Errors; required: boolean; withContact: boolean }) {
  const { prefix: p, values, errors } = props;
  // Examples only for the orderer: on the recipient block they would look pre-filled.
  const ex = (text: string) => (p === 'orderer_' ? text : undefined);
  const ac = p === 'ship_' ? 'shipping ' : '';
  return (
    <>
      <div class="row2">
        <Field name={`${p}name`} label="氏名" value={values[`${p}name`]} error={errors[`${p}name`]} required={props.required} autoComplete={`${ac}name`} maxLength={60} placeholder={ex('山田 太郎')} />
        <Field name={`${p}kana`} label="フリガナ" value={values[`${p}kana`]} error={errors[`${p}kana`]} required={props.required && p === 'orderer_'} maxLength={60} placeholder={ex('ヤマダ タロウ')} />
      </div>
      <div class="row2">
        <Field name={`${p}postal`} label="郵便番号" value={values[`${p}postal`]} error={errors[`${p}postal`]} required={props.required} autoComplete={`${ac}postal-code`} inputMode="numeric" maxLength={10} placeholder={ex('100-0001')} hint="入力すると住所が自動で入ります。" dataPostal={p} />
        <Select name={`${p}prefecture`} label="都道府県" value={values[`${p}prefecture`]} options={PREFECTURES} error={errors[`${p}prefecture`]} required={props.required} autoComplete={`${ac}address-level1`} blank="選択してください" />
      </div>
      <Field name={`${p}address1`} label="住所1（市区町村・番地）" value={values[`${p}address1`]} error={errors[`${p}address1`]} required={props.required} autoComplete={`${ac}address-line1`} placeholder={ex('千代田区千代田1-1')} />
      <Field name={`${p}address2`} label="住所2（建物名・部屋番号）" value={values[`${p}address2`]} error={errors[`${p}address2`]} autoComplete={`${ac}address-line2`} placeholder={ex('まもりビル101')} />
      <div class="row2">
        <Field name={`${p}phone`} label="電話番号" type="tel" value={values[`${p}phone`]} error={errors[`${p}phone`]} required={props.required} autoComplete={`${ac}tel`} inputMode="tel" maxLength={20} placeholder={ex('03-1234-5678')} />
        {props.withContact ? (
          <Field name={`${p}fax`} label="FAX番号" type="tel" value={values[`${p}fax`]} error={errors[`${p}fax`]} inputMode="tel" maxLength={20} placeholder="03-1234-5679" />
        ) : null}
      </div>
      {props.withContact ? (
        <Field name={`${p}email`} label="メールアドレス" type="email" value={values[`${p}email`]} error={errors[`${p}email`]} required autoComplete="email" maxLength={254} inputMode="email" hint="ご注文確認メールをお送りします。" />
      ) : null}
    </>
  );
}

export function CheckoutFormPage(props: {
  v: ViewCtx;
  values: Values;
  errors: Errors;
  settings: ShopSettings;
  addresses: CustomerAddressTable[];
  isMember: boolean;
  notice?: string | undefined;
  cardSuspended: boolean;
}) {
  const { v, values, errors, settings } = props;
  const today = jstDate();
  const dates: { value: string; label: string }[] = [];
  for (let d = settings.delivery.minDaysAhead; d <= settings.delivery.maxDaysAhead; d++) {
    const date = addDays(today, d);
    dates.push({ value: date, label: formatDateJa(date) });
  }
  const shipTo = values.ship_to ?? 'orderer';
  const method = values.payment_method ?? '';
  const methods = [
    settings.payments.card && !props.cardSuspended ? { value: 'card', label: 'クレジットカード', hint: '決済代行会社の安全なページでカード情報を入力します（3-Dセキュア対応）。当店はカード番号を受け取りません。' } : null,
    settings.payments.bankTransfer ? { value: 'bank_transfer', label: '銀行振込（前払い）', hint: `ご入金確認後に発送します。振込先はご注文完了画面とメールでお知らせします（期限 ${settings.bank.dueDays}日）。` } : null,
    settings.payments.cod ? { value: 'cod', label: '代金引換', hint: `手数料 ${settings.cod.feeTable.map((b) => `${formatYen(b.upToYen)}まで${formatYen(b.feeYen)}`).join('、')}` } : null,
  ].filter((m): m is { value: string; label: string; hint: string } => m !== null);
  return (
    <Layout v={v} title="ご注文手続き" narrow>
      <Steps current={1} />
      <h1>ご注文手続き</h1>
      {props.notice ? <Notice kind="warn">{props.notice}</Notice> : null}
      <ErrorSummary errors={errors} />
      {!props.isMember ? (
        <p class="hint">
          会員の方は<a href="/login?next=/checkout">ログイン</a>すると、登録住所とお届け先を使えます。会員登録なしでもご購入いただけます。
        </p>
      ) : null}
      <form method="post" action="/checkout/confirm" novalidate>
        <Csrf v={v} />
        <fieldset>
          <legend>ご注文者</legend>
          <AddressFields prefix="orderer_" values={values} errors={errors} required withContact />
        </fieldset>
        <fieldset>
          <legend>お届け先</legend>
          <label class="choice"><input type="radio" name="ship_to" value="orderer" checked={shipTo === 'orderer'} /> ご注文者の住所へ届ける</label>
          {props.addresses.length > 0 ? (
            <label class="choice"><input type="radio" name="ship_to" value="saved" checked={shipTo === 'saved'} /> 登録済みのお届け先へ届ける</label>
          ) : null}
          <label class="choice"><input type="radio" name="ship_to" value="other" checked={shipTo === 'other'} /> 別の住所へ届ける（ギフトなど）</label>
          {errors.ship_to ? <p class="field-error">{errors.ship_to}</p> : null}
          {props.addresses.length > 0 ? (
            <div data-shipto="saved">
              <Select
                name="saved_address_id" label="登録済みのお届け先" value={values.saved_address_id} error={errors.saved_address_id} blank="選択してください"
                options={props.addresses.map((a) => ({ value: a.id, label: `${a.name} 様 〒${a.postal_code} ${a.prefecture}${a.address1}` }))}
              />
            </div>
          ) : null}
          <div data-shipto="other">
            <AddressFields prefix="ship_" values={values} errors={errors} required withContact={false} />
          </div>
        </fieldset>
        <fieldset>
          <legend>お届け希望日時</legend>
          <div class="row2">
            <Select name="delivery_date" label="お届け希望日" value={values.delivery_date} options={dates} error={errors.delivery_date} blank="指定なし（最短でお届け）" />
            <Select name="delivery_slot" label="時間帯" value={values.delivery_slot} options={settings.delivery.slots.map((s) => ({ value: s, label: s === '午前中' ? s : `${s}時` }))} error={errors.delivery_slot} blank="指定なし" />
          </div>
        </fieldset>
        <fieldset>
          <legend>お支払い方法</legend>
          {methods.map((m) => (
            <label class="choice">
              <input type="radio" name="payment_method" value={m.value} checked={method === m.value} required />
              <span>
                <strong>{m.label}</strong>
                <br />
                <small class="hint">{m.hint}</small>
              </span>
            </label>
          ))}
          {errors.payment_method ? <p class="field-error">{errors.payment_method}</p> : null}
        </fieldset>
        <div class={`field ${errors.note ? 'has-error' : ''}`}>
          <label for="f-note">備考<span class="opt">任意</span></label>
          <textarea id="f-note" name="note" rows={3} maxLength={500}>{values.note ?? ''}</textarea>
          {errors.note ? <p class="field-error">{errors.note}</p> : null}
        </div>
        <button class="btn block" type="submit">ご注文内容の確認へ</button>
      </form>
    </Layout>
  );
}

export function OrderLinesTable(props: { lines: { name: string; sku: string; unitPriceYen: number; quantity: number; taxRate: number; totalYen: number }[] }) {
  return (
    <table>
      <thead>
        <tr><th>商品</th><th class="num">単価（税込）</th><th class="num">数量</th><th class="num">金額</th></tr>
      </thead>
      <tbody>
        {props.lines.map((l) => (
          <tr>
            <td>{l.name}{l.taxRate === 8 ? ' ※' : ''}<br /><small class="hint">{l.sku}</small></td>
            <td class="num">{formatYen(l.unitPriceYen)}</td>
            <td class="num">{l.quantity}</td>
            <td class="num">{formatYen(l.totalYen)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function TotalsTable(props: { t: { itemsTotalYen: number; shippingFeeYen: number; codFeeYen: number; totalYen: number; taxable8Yen: number; tax8Yen: number; taxable10Yen: number; tax10Yen: number } }) {
  const t = props.t;
  return (
    <table class="totals">
      <tbody>
        <tr><th>商品合計</th><td class="num">{formatYen(t.itemsTotalYen)}</td></tr>
        <tr><th>送料</th><td class="num">{t.shippingFeeYen === 0 ? '無料' : formatYen(t.shippingFeeYen)}</td></tr>
        {t.codFeeYen > 0 ? <tr><th>代引き手数料</th><td class="num">{formatYen(t.codFeeYen)}</td></tr> : null}
        <tr class="grand"><th>お支払い合計（税込）</th><td class="num">{formatYen(t.totalYen)}</td></tr>
        <tr><th>10%対象</th><td class="num">{formatYen(t.taxable10Yen)}（内消費税 {formatYen(t.tax10Yen)}）</td></tr>
        <tr><th>8%対象</th><td class="num">{formatYen(t.taxable8Yen)}（内消費税 {formatYen(t.tax8Yen)}）</td></tr>
      </tbody>
    </table>
  );
}

function AddressView(props: { a: { name: string; kana?: string | null; postalCode: string; prefecture: string; address1: string; address2: string | null; phone: string; fax?: string | null; email?: string | null } }) {
  const a = props.a;
  return (
    <dl class="kv">
      <dt>氏名</dt><dd>{a.name} 様{a.kana ? `（${a.kana}）` : ''}</dd>
      <dt>住所</dt><dd>〒{a.postalCode} {a.prefecture}{a.address1} {a.address2 ?? ''}</dd>
      <dt>電話</dt><dd>{a.phone}</dd>
      {a.fax ? <><dt>FAX</dt><dd>{a.fax}</dd></> : null}
      {a.email ? <><dt>メール</dt><dd>{a.email}</dd></> : null}
    </dl>
  );
}

export function ConfirmPage(props: { v: ViewCtx; values: Values; quote: Quote; checkoutToken: string; notice?: string | undefined }) {
  const { v, values, quote } = props;
  const d = quote.destination;
  return (
    <Layout v={v} title="ご注文内容の確認" narrow>
      <Steps current={2} />
      <h1>ご注文内容の確認</h1>
      {props.notice ? <Notice kind="warn">{props.notice}</Notice> : null}
      <OrderLinesTable
        lines={quote.cart.lines.map((l) => ({
          name: `${l.variant.product_name} ${l.variant.variant_name}`, sku: l.variant.sku, unitPriceYen: l.variant.price_yen,
          quantity: l.quantity, taxRate: l.variant.tax_rate, totalYen: l.lineTotalYen,
        }))}
      />
      <TotalsTable t={quote.totals} />
      <p class="hint">※は軽減税率（8%）対象商品です。</p>
      <div class="panel">
        <h2>ご注文者</h2>
        <AddressView a={{
          name: values.orderer_name ?? '', kana: values.orderer_kana, postalCode: values.orderer_postal ?? '', prefecture: values.orderer_prefecture ?? '',
          address1: values.orderer_address1 ?? '', address2: values.orderer_address2 ?? null, phone: values.orderer_phone ?? '', fax: values.orderer_fax, email: values.orderer_email,
        }} />
        <h2>お届け先</h2>
        {values.ship_to === 'orderer' ? <p>ご注文者と同じ</p> : <AddressView a={d} />}
        <h2>お届け希望日時</h2>
        <p>{values.delivery_date ? formatDateJa(values.delivery_date) : '指定なし'} {values.delivery_slot ?? ''}</p>
        <h2>お支払い方法</h2>
        <p>{PAYMENT_LABELS[values.payment_method ?? ''] ?? ''}</p>
        {values.payment_method === 'card' ? <p class="hint">次へ進むと決済代行会社のページに移動します。カード番号はそのページでのみ入力してください。</p> : null}
        {values.note ? <><h2>備考</h2><p>{values.note}</p></> : null}
      </div>
      <form method="post" action="/checkout/place">
        <Csrf v={v} />
        {Object.entries(values).filter(([k]) => k !== '_csrf' && k !== 'checkout_token' && k !== 'expected_total').map(([k, val]) => <input type="hidden" name={k} value={val} />)}
        <input type="hidden" name="checkout_token" value={props.checkoutToken} />
        <input type="hidden" name="expected_total" value={String(quote.totals.totalYen)} />
        <button class="btn block" type="submit" data-once>
          {values.payment_method === 'card' ? 'カード決済へ進む（注文を確定）' : '注文を確定する'}
        </button>
      </form>
      <form method="post" action="/checkout/edit" class="no-print">
        <Csrf v={v} />
        {Object.entries(values).filter(([k]) => k !== '_csrf' && k !== 'checkout_token' && k !== 'expected_total').map(([k, val]) => <input type="hidden" name={k} value={val} />)}
        <p><button class="btn link" type="submit">入力内容を修正する</button></p>
      </form>
    </Layout>
  );
}

function toLines(lines: OrderLineTable[]) {
  return lines.map((l) => ({ name: l.name, sku: l.sku, unitPriceYen: l.unit_price_yen, quantity: l.quantity, taxRate: l.tax_rate, totalYen: l.line_total_yen }));
}

function totalsOf(o: OrderTable) {
  return {
    itemsTotalYen: o.items_total_yen, shippingFeeYen: o.shipping_fee_yen, codFeeYen: o.cod_fee_yen, totalYen: o.total_yen,
    taxable8Yen: o.taxable_8_yen, tax8Yen: o.tax_8_yen, taxable10Yen: o.taxable_10_yen, tax10Yen: o.tax_10_yen,
  };
}

const STATUS_LABELS: Record<string, string> = {
  pending_payment: 'お支払い待ち', new: 'ご注文受付', paid: 'お支払い済み', preparing: '発送準備中', shipped: '発送済み', delivered: 'お届け済み', cancelled: 'キャンセル',
};

export function OrderPage(props: {
  v: ViewCtx; order: OrderTable; lines: OrderLineTable[]; payments: PaymentTable[]; settings: ShopSettings;
  thanks: boolean; links: { receipt: string; pay: string | null };
}) {
  const { v, order: o, settings } = props;
  const card = props.payments.filter((p) => p.last4).at(-1);
  return (
    <Layout v={v} title={props.thanks ? 'ご注文ありがとうございました' : `ご注文 ${o.order_number}`} narrow>
      {props.thanks ? <Steps current={3} /> : null}
      <h1>{props.thanks ? 'ご注文ありがとうございました' : 'ご注文内容'}</h1>
      <div class="panel">
        <p>ご注文番号</p>
        <p class="order-number">{o.order_number}</p>
        <dl class="kv">
          <dt>ご注文日時</dt><dd>{formatInstantJa(o.placed_at)}</dd>
          <dt>状態</dt><dd>{STATUS_LABELS[o.status] ?? o.status}</dd>
          <dt>お支払い</dt><dd>{PAYMENT_LABELS[o.payment_method]}{card ? `（${card.brand?.toUpperCase() ?? ''} 末尾 ${card.last4}）` : ''}</dd>
        </dl>
        {props.thanks && o.orderer_email ? <p class="hint">ご注文確認メールを {o.orderer_email} にお送りしました。</p> : null}
      </div>
      {o.status === 'pending_payment' && props.links.pay ? (
        <Notice kind="warn">
          カード決済がまだ完了していません。<a href={props.links.pay}>お支払い手続きへ進む</a>
        </Notice>
      ) : null}
      {o.payment_method === 'bank_transfer' && o.payment_status === 'pending' && o.status !== 'cancelled' ? (
        <div class="panel" id="bank-transfer">
          <h2>お振込先</h2>
          <dl class="kv">
            <dt>銀行</dt><dd>{settings.bank.bankName} {settings.bank.branchName}</dd>
            <dt>口座</dt><dd>{settings.bank.accountType} {settings.bank.accountNumber}</dd>
            <dt>名義</dt><dd>{settings.bank.accountHolder}</dd>
            <dt>金額</dt><dd>{formatYen(o.total_yen)}</dd>
            <dt>期限</dt><dd>{formatDateJa(bankTransferDue(settings, o))}</dd>
          </dl>
          <p class="hint">ご依頼人名の前にご注文番号（{o.order_number}）をご入力ください。</p>
        </div>
      ) : null}
      {o.payment_method === 'postal_transfer' && o.payment_status === 'pending' && o.status !== 'cancelled' ? (
        <div class="panel" id="postal-transfer">
          <h2>郵便振替のお払込先</h2>
          <dl class="kv">
            <dt>口座記号番号</dt><dd>{settings.postal.accountNumber}</dd>
            <dt>加入者名</dt><dd>{settings.postal.accountHolder}</dd>
            <dt>金額</dt><dd>{formatYen(o.total_yen)}</dd>
            <dt>期限</dt><dd>{formatDateJa(postalTransferDue(settings, o))}</dd>
          </dl>
          <p class="hint">払込取扱票の通信欄にご注文番号（{o.order_number}）をご記入ください。</p>
        </div>
      ) : null}
      <OrderLinesTable lines={toLines(props.lines)} />
      <TotalsTable t={totalsOf(o)} />
      <div class="panel">
        <h2>ご注文者</h2>
        <AddressView a={{ name: o.orderer_name, kana: o.orderer_kana, postalCode: o.orderer_postal_code, prefecture: o.orderer_prefecture, address1: o.orderer_address1, address2: o.orderer_address2, phone: o.orderer_phone, fax: o.orderer_fax, email: o.orderer_email }} />
        <h2>お届け先</h2>
        {o.ship_to_orderer ? <p>ご注文者と同じ</p> : (
          <AddressView a={{ name: o.shipping_name ?? '', kana: o.shipping_kana, postalCode: o.shipping_postal_code ?? '', prefecture: o.shipping_prefecture ?? '', address1: o.shipping_address1 ?? '', address2: o.shipping_address2, phone: o.shipping_phone ?? '' }} />
        )}
        <h2>お届け希望日時</h2>
        <p>{o.delivery_date ? formatDateJa(o.delivery_date) : '指定なし'} {o.delivery_slot ?? ''}</p>
      </div>
      <p><a href={props.links.receipt}>領収書（適格請求書）を表示</a></p>
      <p><a href="/">お買い物を続ける</a></p>
    </Layout>
  );
}

export function ReceiptPage(props: { v: ViewCtx; order: OrderTable; lines: OrderLineTable[]; settings: ShopSettings }) {
  const { order: o, settings: s } = props;
  return (
    <Layout v={props.v} title={`領収書 ${o.order_number}`} narrow>
      <h1>領収書（適格請求書）</h1>
      <div class="panel">
        <p><strong>{o.orderer_name} 様</strong></p>
        <p class="order-number">{formatYen(o.total_yen)}（税込）</p>
        <dl class="kv">
          <dt>ご注文番号</dt><dd>{o.order_number}</dd>
          <dt>取引年月日</dt><dd>{formatInstantJa(o.placed_at).split(' ')[0]}</dd>
          <dt>お支払い</dt><dd>{PAYMENT_LABELS[o.payment_method]}（{o.payment_status === 'paid' ? 'お支払い済み' : '未入金'}）</dd>
        </dl>
      </div>
      <OrderLinesTable lines={toLines(props.lines)} />
      <TotalsTable t={totalsOf(o)} />
      <p class="hint">※は軽減税率（8%）対象商品です。消費税額は税率ごとに合計した金額から算出しています（端数処理: {o.rounding === 'floor' ? '切り捨て' : o.rounding === 'ceil' ? '切り上げ' : '四捨五入'}）。</p>
      <div class="panel">
        <p><strong>{s.shop.company}</strong>（{s.shop.name}）</p>
        <p>〒{s.shop.postalCode} {s.shop.address}<br />TEL {s.shop.phone}</p>
        <p>登録番号: {s.shop.invoiceRegistrationNumber}</p>
      </div>
    </Layout>
  );
}

export function PayPage(props: { v: ViewCtx; order: OrderTable; message: string | null; action: string }) {
  const { v, order: o } = props;
  return (
    <Layout v={v} title="お支払い手続き" narrow>
      <h1>カードでのお支払い</h1>
      {props.message ? <Notice kind="error">{props.message}</Notice> : null}
      <div class="panel">
        <dl class="kv">
          <dt>ご注文番号</dt><dd>{o.order_number}</dd>
          <dt>お支払い金額</dt><dd>{formatYen(o.total_yen)}（税込）</dd>
        </dl>
      </div>
      {o.status === 'pending_payment' ? (
        <form method="post" action={props.action}>
          <Csrf v={v} />
          <p class="hint">決済代行会社の安全なページに移動します。カード番号はそのページでのみ入力してください。</p>
          <button class="btn block" type="submit" data-once>カード決済ページへ進む</button>
        </form>
      ) : (
        <p>このご注文はお支払い手続きの対象ではありません（{STATUS_LABELS[o.status] ?? o.status}）。</p>
      )}
    </Layout>
  );
}
