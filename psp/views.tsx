import type { ComponentChildren } from 'preact';
import { render } from 'preact-render-to-string';
import { CSS_PATH, ICON_PATH } from './assets.js';
import { BRAND_LABELS, THREE_DS_MAX_TRIES, THREE_DS_TEST_CODE, type CardBrand, type FieldErrors } from './cards.js';
import type { PaymentRow } from './store.js';

/**
 * The hosted payment pages. Server-rendered Preact, no script at all, no inline style. Values are
 * escaped by Preact. A card number is never passed to any of these views.
 */

function html(node: ComponentChildren): string {
  return `<!doctype html>${render(<>{node}</>)}`;
}

function Bi(props: { ja: string; en: string }) {
  return (
    <>
      {props.ja}
      <span class="en" lang="en">
        {props.en}
      </span>
    </>
  );
}

function Layout(props: { title: string; children: ComponentChildren; refreshSeconds?: number }) {
  return (
    <html lang="ja">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <meta name="robots" content="noindex, nofollow" />
        {props.refreshSeconds !== undefined && <meta http-equiv="refresh" content={String(props.refreshSeconds)} />}
        <title>{`${props.title} | Mamori Pay Sandbox`}</title>
        <link rel="stylesheet" href={CSS_PATH} />
        <link rel="icon" href={ICON_PATH} type="image/svg+xml" />
      </head>
      <body>
        <header class="topbar">
          <span class="brand">
            <img src={ICON_PATH} alt="" width={22} height={22} />
            Mamori Pay
          </span>
          <span class="badge">テスト環境 / Sandbox</span>
        </header>
        <main>{props.children}</main>
        <footer>
          <p>
            テスト用の決済画面です。実際のカード番号は入力しないでください。
            <span class="en" lang="en">
              This is a sandbox payment page. Do not enter a real card number.
            </span>
          </p>
        </footer>
      </body>
    </html>
  );
}

function yen(amount: number): string {
  return amount.toLocaleString('ja-JP');
}

function Summary(props: { payment: PaymentRow }) {
  const p = props.payment;
  return (
    <section class="panel" aria-label="ご注文内容 / Order summary">
      <dl class="summary">
        <dt>
          <Bi ja="ご注文番号" en="Order number" />
        </dt>
        <dd>{p.order_number}</dd>
        {p.description !== '' && <dd class="description">{p.description}</dd>}
      </dl>
      <p class="amount">
        {yen(p.amount_yen)}
        <span class="yen">円</span>
        <span class="en" lang="en">
          JPY {yen(p.amount_yen)} (tax included)
        </span>
      </p>
    </section>
  );
}

const FAILURE_MESSAGES: Record<string, { ja: string; en: string }> = {
  card_declined: { ja: 'カードが承認されませんでした。', en: 'The card was declined.' },
  insufficient_funds: { ja: 'ご利用可能額が不足しています。', en: 'The card has insufficient funds.' },
  // The buyer is not told why a card is blocked.
  stolen_card: { ja: 'このカードはご利用いただけません。', en: 'This card cannot be used.' },
  processing_error: { ja: '処理中にエラーが発生しました。', en: 'A processing error occurred.' },
  '3ds_failed': { ja: '本人認証（3-Dセキュア）に失敗しました。', en: '3-D Secure authentication failed.' },
  timeout: { ja: 'お支払い結果を確認できませんでした。', en: 'The payment result could not be confirmed.' },
};

export function failureMessage(code: string | null): { ja: string; en: string } {
  return (code !== null ? FAILURE_MESSAGES[code] : undefined) ?? { ja: 'お支払いを完了できませんでした。', en: 'The payment could not be completed.' };
}

function brandLabel(brand: string | null): string {
  return brand !== null && brand in BRAND_LABELS ? BRAND_LABELS[brand as CardBrand] : (brand ?? '');
}

function Field(props: {
  name: string;
  ja: string;
  en: string;
  error: string | undefined;
  autocomplete: string;
  inputmode?: string;
  placeholder?: string;
  maxLength: number;
  value?: string;
  class?: string;
}) {
  const errorId = `${props.name}-error`;
  return (
    <div class="field">
      <label for={props.name}>
        <Bi ja={props.ja} en={props.en} />
      </label>
      <input
        id={props.name}
        name={props.name}
        type="text"
        class={props.class}
        autocomplete={props.autocomplete}
        inputmode={props.inputmode}
        placeholder={props.placeholder}
        maxLength={props.maxLength}
        value={props.value ?? ''}
        required
        spellcheck={false}
        autocapitalize="off"
        aria-invalid={props.error !== undefined ? 'true' : undefined}
        aria-describedby={props.error !== undefined ? errorId : undefined}
      />
      {props.error !== undefined && (
        <p class="field-error" id={errorId}>
          {props.error}
        </p>
      )}
    </div>
  );
}

function CancelLink(props: { href: string }) {
  return (
    <a class="cancel" href={props.href}>
      キャンセルしてショップに戻る<span class="en" lang="en">Cancel and return to the shop</span>
    </a>
  );
}

export interface PayFormState {
  errors?: FieldErrors;
  /** Only the name is echoed back; number, expiry and security code always come back empty. */
  name?: string;
  /** The previous attempt failed with this code. */
  previousFailure?: string | null;
}

export function payPage(payment: PaymentRow, state: PayFormState = {}): string {
  const errors = state.errors ?? {};
  const hasErrors = Object.keys(errors).length > 0;
  const failure = state.previousFailure ? failureMessage(state.previousFailure) : null;
  return html(
    <Layout title="カードでのお支払い">
      <Summary payment={payment} />
      <section class="panel">
        <h1>
          <Bi ja="カード情報の入力" en="Card details" />
        </h1>
        {failure && (
          <div class="notice notice-error" role="alert">
            {failure.ja}別のカードでもう一度お試しください。
            <span class="en" lang="en">
              {failure.en} Please try again with another card.
            </span>
          </div>
        )}
        {hasErrors && (
          <div class="notice notice-error" role="alert">
            入力内容をご確認ください。
            <span class="en" lang="en">
              Please check the highlighted fields.
            </span>
          </div>
        )}
        <form method="post" action={`/pay/${payment.id}`} autocomplete="on">
          <Field
            name="cardNumber"
            ja="カード番号"
            en="Card number"
            error={errors.cardNumber}
            autocomplete="cc-number"
            inputmode="numeric"
            placeholder="1234 5678 9012 3456"
            maxLength={23}
          />
          <div class="row">
            <Field
              name="expiry"
              ja="有効期限"
              en="Expiry (MM/YY)"
              error={errors.expiry}
              autocomplete="cc-exp"
              inputmode="numeric"
              placeholder="MM/YY"
              maxLength={7}
            />
            <Field
              name="cvc"
              ja="セキュリティコード"
              en="Security code (CVV)"
              error={errors.cvc}
              autocomplete="cc-csc"
              inputmode="numeric"
              placeholder="123"
              maxLength={4}
            />
          </div>
          <Field
            name="name"
            ja="カード名義"
            en="Name on card"
            error={errors.name}
            autocomplete="cc-name"
            placeholder="TARO YAMADA"
            maxLength={100}
            value={state.name ?? ''}
          />
          <button type="submit">
            {yen(payment.amount_yen)}円を支払う<span class="en" lang="en">Pay JPY {yen(payment.amount_yen)}</span>
          </button>
        </form>
        <CancelLink href={payment.cancel_url} />
      </section>
    </Layout>,
  );
}

export function challengePage(
  payment: PaymentRow,
  attempt: { brand: string; last4: string },
  state: { triesLeft: number; wrongCode: boolean },
): string {
  return html(
    <Layout title="本人認証">
      <Summary payment={payment} />
      <section class="panel">
        <h1>
          <Bi ja="本人認証（3-Dセキュア）" en="3-D Secure verification" />
        </h1>
        <p>
          {brandLabel(attempt.brand)} <span class="cardmark">•••• {attempt.last4}</span>
          のカード発行会社から届いたワンタイムパスワードを入力してください。
          <span class="en" lang="en">
            Enter the one-time code sent by the issuer of your card ending in {attempt.last4}.
          </span>
        </p>
        {state.wrongCode && (
          <div class="notice notice-error" role="alert">
            コードが正しくありません（残り{state.triesLeft}回）。
            <span class="en" lang="en">
              The code is not correct ({state.triesLeft} {state.triesLeft === 1 ? 'try' : 'tries'} left).
            </span>
          </div>
        )}
        <form method="post" action={`/pay/${payment.id}/3ds`} autocomplete="off">
          <Field
            name="code"
            ja="ワンタイムパスワード"
            en="One-time code"
            error={undefined}
            autocomplete="one-time-code"
            inputmode="numeric"
            placeholder="000000"
            maxLength={6}
            class="code-input"
          />
          <button type="submit">
            認証する<span class="en" lang="en">Verify</span>
          </button>
        </form>
        <p class="hint">
          テスト環境のコード: {THREE_DS_TEST_CODE}（{THREE_DS_MAX_TRIES}回まで）
          <span class="en" lang="en">
            Sandbox code: {THREE_DS_TEST_CODE} (up to {THREE_DS_MAX_TRIES} tries)
          </span>
        </p>
        <CancelLink href={payment.cancel_url} />
      </section>
    </Layout>,
  );
}

/** A "timeout" card: the result is not known yet. The page reloads itself (no script needed). */
export function processingPage(payment: PaymentRow, returnUrl: string): string {
  return html(
    <Layout title="確認中" refreshSeconds={2}>
      <Summary payment={payment} />
      <section class="panel">
        <h1>
          <Bi ja="お支払い結果を確認しています" en="Confirming your payment" />
        </h1>
        <div class="notice notice-info" role="status">
          カード会社からの応答を待っています。このままお待ちください。二重にお支払いされることはありません。
          <span class="en" lang="en">
            We are waiting for the card issuer. Please wait; you will not be charged twice.
          </span>
        </div>
        <p class="hint">
          <a href={returnUrl}>
            ショップで結果を確認する<span class="en" lang="en">Check the result at the shop</span>
          </a>
        </p>
      </section>
    </Layout>,
  );
}

/** A finished or closed session: paid, expired, cancelled, or not found. */
export function statusPage(opts: {
  payment: PaymentRow | null;
  tone: 'ok' | 'error' | 'info';
  title: { ja: string; en: string };
  message: { ja: string; en: string };
  link: { href: string; ja: string; en: string } | null;
}): string {
  return html(
    <Layout title={opts.title.ja}>
      {opts.payment && <Summary payment={opts.payment} />}
      <section class="panel">
        <h1>
          <Bi ja={opts.title.ja} en={opts.title.en} />
        </h1>
        <div class={`notice notice-${opts.tone}`} role="status">
          <Bi ja={opts.message.ja} en={opts.message.en} />
        </div>
        {opts.link && (
          <p>
            <a class="button" href={opts.link.href}>
              <Bi ja={opts.link.ja} en={opts.link.en} />
            </a>
          </p>
        )}
      </section>
    </Layout>,
  );
}
