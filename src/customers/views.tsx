import type { ComponentChildren } from 'preact';
import type { OrderTable } from '../checkout/tables.js';
import { PREFECTURES } from '../shared/jp.js';
import { formatInstantJa } from '../shared/time.js';
import { formatYen } from '../web/i18n.js';
import { Csrf, ErrorSummary, Field, Layout, Notice, Select } from '../web/layout.js';
import type { ViewCtx } from '../web/view.js';
import type { CustomerAddressTable } from './tables.js';

type Values = Record<string, string>;
type Errors = Record<string, string>;

function FormPage(props: { v: ViewCtx; title: string; action: string; errors: Errors; notice?: string | undefined; submit: string; children: ComponentChildren; after?: ComponentChildren }) {
  return (
    <Layout v={props.v} title={props.title} narrow>
      <h1>{props.title}</h1>
      {props.notice ? <Notice kind="info">{props.notice}</Notice> : null}
      <ErrorSummary errors={props.errors} />
      <form method="post" action={props.action} class="panel" novalidate>
        <Csrf v={props.v} />
        {props.children}
        <button class="btn block" type="submit" data-once>{props.submit}</button>
      </form>
      {props.after}
    </Layout>
  );
}

export function ProfileFields(props: { values: Values; errors: Errors }) {
  const { values, errors } = props;
  return (
    <>
      <div class="row2">
        <Field name="name" label="氏名" value={values.name} error={errors.name} required autoComplete="name" maxLength={60} />
        <Field name="name_kana" label="フリガナ" value={values.name_kana} error={errors.name_kana} required maxLength={60} />
      </div>
      <div class="row2">
        <Field name="postal" label="郵便番号" value={values.postal} error={errors.postal} required autoComplete="postal-code" inputMode="numeric" maxLength={10} dataPostal="" />
        <Select name="prefecture" label="都道府県" value={values.prefecture} options={PREFECTURES} error={errors.prefecture} required blank="選択してください" autoComplete="address-level1" />
      </div>
      <Field name="address1" label="住所1（市区町村・番地）" value={values.address1} error={errors.address1} required autoComplete="address-line1" />
      <Field name="address2" label="住所2（建物名・部屋番号）" value={values.address2} error={errors.address2} autoComplete="address-line2" />
      <div class="row2">
        <Field name="phone" label="電話番号" type="tel" value={values.phone} error={errors.phone} required autoComplete="tel" inputMode="tel" maxLength={20} />
        <Field name="fax" label="FAX番号" type="tel" value={values.fax} error={errors.fax} inputMode="tel" maxLength={20} />
      </div>
    </>
  );
}

export function RegisterPage(props: { v: ViewCtx; values: Values; errors: Errors }) {
  return (
    <FormPage v={props.v} title="会員登録" action="/register" errors={props.errors} submit="登録して確認メールを受け取る">
      <Field name="email" label="メールアドレス" type="email" value={props.values.email} error={props.errors.email} required autoComplete="email" maxLength={254} />
      <Field name="password" label="パスワード" type="password" error={props.errors.password} required autoComplete="new-password" maxLength={128} hint="10文字以上。よく使われるパスワードは使えません。" />
      <ProfileFields values={props.values} errors={props.errors} />
      <p class="hint">ご登録いただいた情報は<a href="/legal/privacy">プライバシーポリシー</a>に従って取り扱います。</p>
    </FormPage>
  );
}

export function MessagePage(props: { v: ViewCtx; title: string; children: ComponentChildren }) {
  return (
    <Layout v={props.v} title={props.title} narrow>
      <h1>{props.title}</h1>
      {props.children}
    </Layout>
  );
}

export function LoginPage(props: { v: ViewCtx; values: Values; errors: Errors; next: string; notice?: string | undefined }) {
  return (
    <FormPage
      v={props.v} title="ログイン" action={`/login?next=${encodeURIComponent(props.next)}`} errors={props.errors} notice={props.notice} submit="ログイン"
      after={<p><a href="/password/forgot">パスワードをお忘れの方</a> ／ <a href="/register">会員登録（無料）</a></p>}
    >
      <Field name="email" label="メールアドレス" type="email" value={props.values.email} error={props.errors.email} required autoComplete="username" maxLength={254} />
      <Field name="password" label="パスワード" type="password" error={props.errors.password} required autoComplete="current-password" maxLength={128} />
    </FormPage>
  );
}

export function ForgotPage(props: { v: ViewCtx; values: Values; errors: Errors }) {
  return (
    <FormPage v={props.v} title="パスワードの再設定" action="/password/forgot" errors={props.errors} submit="再設定メールを送る">
      <Field name="email" label="ご登録のメールアドレス" type="email" value={props.values.email} error={props.errors.email} required autoComplete="email" maxLength={254} />
    </FormPage>
  );
}

export function ResetPage(props: { v: ViewCtx; token: string; errors: Errors }) {
  return (
    <FormPage v={props.v} title="新しいパスワードの設定" action="/password/reset" errors={props.errors} submit="パスワードを設定する">
      <input type="hidden" name="token" value={props.token} />
      <Field name="password" label="新しいパスワード" type="password" error={props.errors.password} required autoComplete="new-password" maxLength={128} hint="10文字以上" />
    </FormPage>
  );
}

const STATUS: Record<string, string> = {
  pending_payment: 'お支払い待ち', new: '受付', paid: 'お支払い済み', preparing: '発送準備中', shipped: '発送済み', delivered: 'お届け済み', cancelled: 'キャンセル',
};

export function AccountPage(props: { v: ViewCtx; name: string; email: string; orders: OrderTable[]; notice?: string | undefined }) {
  const { v } = props;
  return (
    <Layout v={v} title="マイページ">
      <h1>マイページ</h1>
      {props.notice ? <Notice kind="success">{props.notice}</Notice> : null}
      <p>{props.name} 様（{props.email}）</p>
      <nav class="cats" aria-label="マイページ">
        <a href="/account/profile">会員情報の変更</a>
        <a href="/account/addresses">お届け先の管理</a>
        <a href="/account/email">メールアドレスの変更</a>
        <a href="/account/password">パスワードの変更</a>
        <a href="/account/withdraw">退会</a>
      </nav>
      <form method="post" action="/logout">
        <Csrf v={v} />
        <button class="btn secondary small" type="submit">{v.t('nav.logout')}</button>
      </form>
      <h2>ご注文履歴</h2>
      {props.orders.length === 0 ? <p>ご注文はまだありません。</p> : (
        <table>
          <thead><tr><th>ご注文番号</th><th>日時</th><th>状態</th><th class="num">合計</th></tr></thead>
          <tbody>
            {props.orders.map((o) => (
              <tr>
                <td><a href={`/account/orders/${o.id}`}>{o.order_number}</a></td>
                <td>{formatInstantJa(o.placed_at)}</td>
                <td>{STATUS[o.status] ?? o.status}</td>
                <td class="num">{formatYen(o.total_yen)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

export function ProfilePage(props: { v: ViewCtx; values: Values; errors: Errors }) {
  return (
    <FormPage v={props.v} title="会員情報の変更" action="/account/profile" errors={props.errors} submit="変更を保存する">
      <ProfileFields values={props.values} errors={props.errors} />
    </FormPage>
  );
}

export function AddressesPage(props: { v: ViewCtx; addresses: CustomerAddressTable[]; values: Values; errors: Errors; notice?: string | undefined }) {
  const { v } = props;
  return (
    <Layout v={v} title="お届け先の管理" narrow>
      <h1>お届け先の管理</h1>
      {props.notice ? <Notice kind="success">{props.notice}</Notice> : null}
      {props.addresses.length === 0 ? <p>登録済みのお届け先はありません。</p> : (
        <ul>
          {props.addresses.map((a) => (
            <li class="panel">
              {a.name} 様 〒{a.postal_code} {a.prefecture}{a.address1} {a.address2 ?? ''} TEL {a.phone}
              <form method="post" action={`/account/addresses/${a.id}/delete`}>
                <Csrf v={v} />
                <button class="btn link" type="submit">削除</button>
              </form>
            </li>
          ))}
        </ul>
      )}
      <h2>お届け先を追加</h2>
      <ErrorSummary errors={props.errors} />
      <form method="post" action="/account/addresses" class="panel" novalidate>
        <Csrf v={v} />
        <div class="row2">
          <Field name="ship_name" label="氏名" value={props.values.ship_name} error={props.errors.ship_name} required maxLength={60} />
          <Field name="ship_kana" label="フリガナ" value={props.values.ship_kana} error={props.errors.ship_kana} maxLength={60} />
        </div>
        <div class="row2">
          <Field name="ship_postal" label="郵便番号" value={props.values.ship_postal} error={props.errors.ship_postal} required inputMode="numeric" maxLength={10} dataPostal="ship_" />
          <Select name="ship_prefecture" label="都道府県" value={props.values.ship_prefecture} options={PREFECTURES} error={props.errors.ship_prefecture} required blank="選択してください" />
        </div>
        <Field name="ship_address1" label="住所1" value={props.values.ship_address1} error={props.errors.ship_address1} required />
        <Field name="ship_address2" label="住所2" value={props.values.ship_address2} error={props.errors.ship_address2} />
        <Field name="ship_phone" label="電話番号" type="tel" value={props.values.ship_phone} error={props.errors.ship_phone} required maxLength={20} />
        <button class="btn" type="submit">追加する</button>
      </form>
    </Layout>
  );
}

export function EmailChangePage(props: { v: ViewCtx; values: Values; errors: Errors }) {
  return (
    <FormPage v={props.v} title="メールアドレスの変更" action="/account/email" errors={props.errors} submit="確認メールを送る">
      <Field name="email" label="新しいメールアドレス" type="email" value={props.values.email} error={props.errors.email} required autoComplete="email" maxLength={254} />
      <Field name="password" label="現在のパスワード" type="password" error={props.errors.password} required autoComplete="current-password" maxLength={128} />
    </FormPage>
  );
}

export function PasswordChangePage(props: { v: ViewCtx; errors: Errors }) {
  return (
    <FormPage v={props.v} title="パスワードの変更" action="/account/password" errors={props.errors} submit="変更する">
      <Field name="current" label="現在のパスワード" type="password" error={props.errors.current} required autoComplete="current-password" maxLength={128} />
      <Field name="password" label="新しいパスワード" type="password" error={props.errors.password} required autoComplete="new-password" maxLength={128} hint="10文字以上" />
    </FormPage>
  );
}

export function WithdrawPage(props: { v: ViewCtx; errors: Errors }) {
  return (
    <FormPage v={props.v} title="退会" action="/account/withdraw" errors={props.errors} submit="退会する">
      <p>退会すると、ログインやご注文履歴の確認ができなくなります。登録済みのお届け先は削除されます。ご注文の記録は法令で定められた期間保管した後に削除します。</p>
      <Field name="password" label="パスワード" type="password" error={props.errors.password} required autoComplete="current-password" maxLength={128} />
    </FormPage>
  );
}
