import { CHANNEL_LABELS, METHOD_LABELS } from '../checkout/exports.js';
import { qtyField, STAFF_CHANNELS, STAFF_PAYMENT_METHODS } from '../checkout/form.js';
import type { Quote } from '../checkout/service.js';
import { OrderLinesTable, TotalsTable } from '../checkout/views.js';
import type { AdminCustomer } from '../customers/admin-service.js';
import type { OrderTable } from '../checkout/tables.js';
import type { ShopSettings } from '../settings/defaults.js';
import { PREFECTURES } from '../shared/jp.js';
import { addDays, formatInstantJa, jstDate } from '../shared/time.js';
import { formatYen } from '../web/i18n.js';
import { Csrf, FormErrors, Input, SelectField, TextArea, type FormState } from './catalog-views.js';
import type { AdminCtx } from './layout.js';

export interface EntryVariant {
  id: string;
  sku: string;
  product_name: string;
  variant_name: string;
  price_yen: number;
  stock: number;
  tax_rate: number;
}

const METHOD_HINTS: Record<(typeof STAFF_PAYMENT_METHODS)[number], string> = {
  cod: '商品お届け時に配達員にお支払い（代引き手数料がかかります）。',
  bank_transfer: '前払い。振込先はご注文確認メール（メールがない場合は電話・FAXで）お伝えします。',
  postal_transfer: '前払い。郵便振替の口座はご注文確認メール（メールがない場合は電話・FAXで）お伝えします。',
  card: 'お支払いリンクを発行します。お客様がリンク先の決済代行会社のページでカード情報を入力します。カード番号は絶対に聞き取らない・書き取らないでください。',
};

function Radios(props: { name: string; legend: string; options: { value: string; label: string; hint?: string }[]; state: FormState }) {
  const current = props.state.values[props.name] ?? '';
  const error = props.state.errors[props.name];
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      {props.options.map((o, i) => (
        <div class="check">
          <p>
            <input id={`f-${props.name}-${i}`} type="radio" name={props.name} value={o.value} checked={current === o.value} />{' '}
            <label for={`f-${props.name}-${i}`}>{o.label}</label>
          </p>
          {o.hint ? <p class="hint">{o.hint}</p> : null}
        </div>
      ))}
      {error ? <p class="field-error">{error}</p> : null}
    </fieldset>
  );
}

/** Members and earlier orderers found by phone, FAX, name or e-mail. */
export function CustomerSearch(props: { c: AdminCtx; q: string; error: string | null; members: AdminCustomer[]; orderers: OrderTable[] }) {
  const { c } = props;
  return (
    <section class="panel" aria-labelledby="h-find">
      <h2 id="h-find">お客様を探す</h2>
      <form method="get" action={`${c.base}/orders/new`} class="filters" role="search">
        <div class="field">
          <label for="f-find">電話・FAX番号・お名前・メールアドレス</label>
          <input id="f-find" type="search" name="q" value={props.q} maxLength={100} />
        </div>
        <button type="submit" class="btn secondary">検索</button>
      </form>
      {props.error ? <p class="field-error">{props.error}</p> : null}
      {props.q && !props.error ? (
        props.members.length === 0 && props.orderers.length === 0 ? (
          <p>見つかりませんでした。下のフォームに新しいお客様として入力してください。</p>
        ) : (
          <table>
            <thead><tr><th>種別</th><th>お名前</th><th>電話 / FAX</th><th>住所</th><th>メール</th><th></th></tr></thead>
            <tbody>
              {props.members.map((m) => (
                <tr>
                  <td>会員</td>
                  <td>{m.name}<br /><small class="hint">{m.name_kana}</small></td>
                  <td>{m.phone}{m.fax ? <><br />FAX {m.fax}</> : null}</td>
                  <td>〒{m.postal_code} {m.prefecture}{m.address1}</td>
                  <td>{m.email}</td>
                  <td><a class="btn secondary" href={`${c.base}/orders/new?customer=${m.id}`}>この会員で入力</a></td>
                </tr>
              ))}
              {props.orderers.map((o) => (
                <tr>
                  <td>過去のご注文（{formatInstantJa(o.placed_at)}）</td>
                  <td>{o.orderer_name}<br /><small class="hint">{o.orderer_kana ?? ''}</small></td>
                  <td>{o.orderer_phone}{o.orderer_fax ? <><br />FAX {o.orderer_fax}</> : null}</td>
                  <td>〒{o.orderer_postal_code} {o.orderer_prefecture}{o.orderer_address1}</td>
                  <td>{o.orderer_email ?? ''}</td>
                  <td><a class="btn secondary" href={`${c.base}/orders/new?from_order=${o.id}`}>この内容で入力</a></td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
    </section>
  );
}

export function OrderEntryForm(props: {
  c: AdminCtx;
  state: FormState;
  variants: EntryVariant[];
  settings: ShopSettings;
  quote: Quote | null;
  entryToken: string;
  /** The member the order is for (shown; the id is posted). */
  member: { id: string; name: string } | null;
  notice: string | null;
  cardSuspended: boolean;
}) {
  const { c, state, settings } = props;
  const v = state.values;
  const today = jstDate();
  const minDate = addDays(today, settings.delivery.minDaysAhead);
  const maxDate = addDays(today, settings.delivery.maxDaysAhead);
  const f = (name: string) => ({ name, state, form: 'entry' });
  const prefs = PREFECTURES.map((p) => ({ value: p, label: p }));
  return (
    <form method="post" action={`${c.base}/orders/new`} novalidate data-live-quote={`${c.base}/orders/new/quote`}>
      <Csrf c={c} />
      <input type="hidden" name="entry_token" value={props.entryToken} />
      <input type="hidden" name="expected_total" value={props.quote ? String(props.quote.totals.totalYen) : ''} data-expected-total />
      <input type="hidden" name="customer_id" value={props.member?.id ?? ''} />
      <FormErrors errors={state.errors} />
      {props.notice ? <div class="alert alert-info" role="status">{props.notice}</div> : null}

      <section class="panel" aria-labelledby="h-channel">
        <h2 id="h-channel">受付</h2>
        <Radios name="channel" legend="受付経路" state={state} options={STAFF_CHANNELS.map((ch) => ({ value: ch, label: CHANNEL_LABELS[ch] ?? ch }))} />
      </section>

      <section class="panel" aria-labelledby="h-orderer-entry">
        <h2 id="h-orderer-entry">ご注文者{props.member ? `（会員: ${props.member.name}）` : '（会員登録なし）'}</h2>
        {props.member ? <p class="hint">会員のご注文として記録します。入力内容はこのご注文にだけ使われ、会員情報は変わりません。</p> : null}
        <div class="grid">
          <Input {...f('orderer_name')} label="お名前" required maxLength={60} />
          <Input {...f('orderer_kana')} label="フリガナ" required maxLength={60} />
          <Input {...f('orderer_postal')} label="郵便番号" required maxLength={10} inputMode="numeric" />
          <SelectField {...f('orderer_prefecture')} label="都道府県" required options={prefs} blank="選択してください" />
          <Input {...f('orderer_address1')} label="市区町村・番地" required maxLength={100} />
          <Input {...f('orderer_address2')} label="建物名・部屋番号" maxLength={100} />
          <Input {...f('orderer_phone')} label="電話番号" required maxLength={20} inputMode="tel" type="tel" />
          <Input {...f('orderer_fax')} label="FAX番号" maxLength={20} inputMode="tel" type="tel" />
          <Input {...f('orderer_email')} label="メールアドレス（わかる場合）" maxLength={254} type="email" hint="入力するとご注文確認メール（カード払いはお支払いリンク）が届きます。" />
        </div>
      </section>

      <section class="panel" aria-labelledby="h-dest-entry">
        <h2 id="h-dest-entry">お届け先</h2>
        <Radios name="ship_to" legend="お届け先" state={state} options={[{ value: 'orderer', label: 'ご注文者と同じ' }, { value: 'other', label: '別の方（ギフトなど）' }]} />
        <div class="grid">
          <Input {...f('ship_name')} label="お届け先のお名前" maxLength={60} />
          <Input {...f('ship_kana')} label="フリガナ" maxLength={60} />
          <Input {...f('ship_postal')} label="郵便番号" maxLength={10} inputMode="numeric" />
          <SelectField {...f('ship_prefecture')} label="都道府県" options={prefs} blank="選択してください" />
          <Input {...f('ship_address1')} label="市区町村・番地" maxLength={100} />
          <Input {...f('ship_address2')} label="建物名・部屋番号" maxLength={100} />
          <Input {...f('ship_phone')} label="電話番号" maxLength={20} inputMode="tel" type="tel" />
        </div>
        <div class="grid">
          <Input {...f('delivery_date')} label={`お届け希望日（${minDate}〜${maxDate}）`} type="date" maxLength={10} />
          <SelectField {...f('delivery_slot')} label="時間帯" options={settings.delivery.slots.map((s) => ({ value: s, label: s === '午前中' ? s : `${s}時` }))} blank="指定なし" />
        </div>
      </section>

      <section class="panel" aria-labelledby="h-items">
        <h2 id="h-items">商品と数量</h2>
        <p class="hint">数量を入れた商品だけが注文に入ります。在庫は表示した時点の数です（登録時にもう一度確かめます）。</p>
        <table>
          <thead><tr><th>SKU</th><th>商品</th><th class="num">単価（税込）</th><th class="num">税率</th><th class="num">在庫</th><th class="num">数量</th></tr></thead>
          <tbody>
            {props.variants.map((x) => {
              const name = qtyField(x.id);
              const error = state.errors[name];
              return (
                <tr>
                  <td>{x.sku}</td>
                  <td><label for={`f-${name}`}>{x.product_name} {x.variant_name}</label></td>
                  <td class="num">{formatYen(x.price_yen)}</td>
                  <td class="num">{x.tax_rate}%</td>
                  <td class="num" data-stock={x.id}>{x.stock > 0 ? x.stock : '在庫なし'}</td>
                  <td class="num">
                    <input id={`f-${name}`} name={name} type="text" inputMode="numeric" size={4} maxLength={4} value={v[name] ?? ''} aria-invalid={error ? 'true' : undefined} />
                    {error ? <p class="field-error">{error}</p> : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {state.errors._lines ? <p class="field-error">{state.errors._lines}</p> : null}
      </section>

      <section class="panel" aria-labelledby="h-pay-entry">
        <h2 id="h-pay-entry">お支払い方法</h2>
        {props.cardSuspended ? <p class="field-error">カード決済は現在停止中です（キルスイッチ）。カード払いは選べません。</p> : null}
        <Radios
          name="payment_method" legend="お支払い方法" state={state}
          options={STAFF_PAYMENT_METHODS.map((m) => ({ value: m, label: m === 'card' ? 'クレジットカード（お支払いリンク）' : (METHOD_LABELS[m] ?? m), hint: METHOD_HINTS[m] }))}
        />
      </section>

      <section class="panel" aria-labelledby="h-notes-entry">
        <h2 id="h-notes-entry">備考・メモ</h2>
        <TextArea {...f('note')} label="お客様からのご要望（備考）" rows={3} maxLength={500} />
        <TextArea {...f('staff_note')} label="スタッフメモ（お客様には見えません）" rows={3} maxLength={1000} hint="カード番号は絶対に書かないでください（書くと送信が拒否されます）。" />
      </section>

      <section class="panel" aria-labelledby="h-totals-entry" aria-live="polite">
        <h2 id="h-totals-entry">金額</h2>
        <div data-live-totals>
          {props.quote ? (
            <>
              <OrderLinesTable lines={props.quote.cart.lines.map((l) => ({ name: `${l.variant.product_name} ${l.variant.variant_name}`, sku: l.variant.sku, unitPriceYen: l.variant.price_yen, quantity: l.quantity, taxRate: l.variant.tax_rate, totalYen: l.lineTotalYen }))} />
              <TotalsTable t={props.quote.totals} />
            </>
          ) : <p class="hint">「再計算」を押すと、送料・手数料・消費税を含む金額を表示します。</p>}
        </div>
        <p class="hint" data-live-status></p>
      </section>

      <div class="filters">
        <button type="submit" name="action" value="recalc" class="btn secondary">再計算</button>
        <button type="submit" name="action" value="place" class="btn" data-confirm="この内容で注文を登録しますか？">この内容で注文を登録</button>
      </div>
    </form>
  );
}
