import { PAYMENT_LABELS } from '../checkout/mails.js';
import type { OrderTable } from '../checkout/tables.js';
import { STATUS_LABELS, type AdminCustomer } from '../customers/admin-service.js';
import type { CustomerAddressTable } from '../customers/tables.js';
import { formatInstantJa } from '../shared/time.js';
import { formatYen } from '../web/i18n.js';
import { Csrf, FormErrors, Input, type Errors } from './catalog-views.js';
import type { AdminCtx } from './layout.js';

const ORDER_STATUS: Record<string, string> = {
  pending_payment: 'カード決済待ち', new: '新規', paid: '入金済み', preparing: '発送準備中', shipped: '発送済み', delivered: '配達完了', cancelled: 'キャンセル',
};

export function CustomerSearchPage(props: { c: AdminCtx; q: string; rows: AdminCustomer[]; more: boolean; errors: Errors }) {
  const { c, q } = props;
  const state = { values: { q }, errors: props.errors };
  return (
    <>
      <form method="get" action={`${c.base}/customers`} class="filters" role="search">
        <Input name="q" label="氏名・フリガナ・メールアドレス・電話番号" state={state} maxLength={100} hint="電話番号はハイフンの有無を問いません。" />
        <div class="field"><button type="submit" class="btn">検索</button></div>
      </form>
      <p class="hint">顧客の個人情報の閲覧・出力は、担当者・日時・対象とともに監査ログに記録されます。</p>
      <FormErrors errors={props.errors} />
      {q ? (
        <>
          <p>
            {props.rows.length}件{props.more ? '（上限まで表示しています。条件を絞ってください）' : ''}
          </p>
          {props.rows.length > 0 ? (
            <>
              <table>
                <thead>
                  <tr><th>氏名</th><th>フリガナ</th><th>メールアドレス</th><th>電話番号</th><th>都道府県</th><th>状態</th><th>登録日</th></tr>
                </thead>
                <tbody>
                  {props.rows.map((r) => (
                    <tr>
                      <td><a href={`${c.base}/customers/${r.id}`}>{r.name}</a></td>
                      <td>{r.name_kana}</td>
                      <td>{r.email}</td>
                      <td>{r.phone}</td>
                      <td>{r.prefecture}</td>
                      <td><span class="tag">{STATUS_LABELS[r.status] ?? r.status}</span></td>
                      <td>{formatInstantJa(r.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <form method="post" action={`${c.base}/customers/export`}>
                <Csrf c={c} />
                <input type="hidden" name="q" value={q} />
                <p><button type="submit" class="btn secondary">この検索結果をCSVで出力</button></p>
              </form>
            </>
          ) : null}
        </>
      ) : (
        <p>検索条件を入力してください。</p>
      )}
    </>
  );
}

export function CustomerDetailPage(props: { c: AdminCtx; customer: AdminCustomer; addresses: CustomerAddressTable[]; orders: OrderTable[] }) {
  const { c, customer: x } = props;
  return (
    <>
      <p><a href={`${c.base}/customers`}>‹ 顧客検索</a></p>
      <p class="hint">この画面の表示は監査ログに記録されています。</p>
      <section class="panel" aria-labelledby="profile-h">
        <h2 id="profile-h">会員情報</h2>
        <table>
          <tbody>
            <tr><th>会員ID</th><td>{x.id}</td></tr>
            <tr><th>状態</th><td>{STATUS_LABELS[x.status] ?? x.status}{x.withdrawn_at ? `（${formatInstantJa(x.withdrawn_at)}）` : ''}</td></tr>
            <tr><th>氏名</th><td>{x.name}</td></tr>
            <tr><th>フリガナ</th><td>{x.name_kana}</td></tr>
            <tr><th>メールアドレス</th><td>{x.email}{x.email_verified_at ? '' : '（未確認）'}</td></tr>
            <tr><th>電話番号</th><td>{x.phone}</td></tr>
            {x.fax ? <tr><th>FAX</th><td>{x.fax}</td></tr> : null}
            <tr><th>住所</th><td>〒{x.postal_code} {x.prefecture}{x.address1}{x.address2 ? ` ${x.address2}` : ''}</td></tr>
            <tr><th>登録日時</th><td>{formatInstantJa(x.created_at)}</td></tr>
            <tr><th>最終更新</th><td>{formatInstantJa(x.updated_at)}</td></tr>
          </tbody>
        </table>
      </section>
      <section class="panel" aria-labelledby="addresses-h">
        <h2 id="addresses-h">登録済みのお届け先</h2>
        {props.addresses.length === 0 ? <p>ありません。</p> : (
          <table>
            <thead><tr><th>宛名</th><th>住所</th><th>電話番号</th></tr></thead>
            <tbody>
              {props.addresses.map((a) => (
                <tr>
                  <td>{a.name}{a.name_kana ? <><br /><small class="hint">{a.name_kana}</small></> : null}</td>
                  <td>〒{a.postal_code} {a.prefecture}{a.address1}{a.address2 ? ` ${a.address2}` : ''}</td>
                  <td>{a.phone}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section class="panel" aria-labelledby="orders-h">
        <h2 id="orders-h">注文履歴</h2>
        {props.orders.length === 0 ? <p>注文はありません。</p> : (
          <table>
            <thead><tr><th>注文番号</th><th>注文日時</th><th>状態</th><th>お支払い</th><th class="num">合計</th></tr></thead>
            <tbody>
              {props.orders.map((o) => (
                <tr>
                  <td><a href={`${c.base}/orders/${o.id}`}>{o.order_number}</a></td>
                  <td>{formatInstantJa(o.placed_at)}</td>
                  <td>{ORDER_STATUS[o.status] ?? o.status}</td>
                  <td>{PAYMENT_LABELS[o.payment_method] ?? o.payment_method}</td>
                  <td class="num">{formatYen(o.total_yen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}


