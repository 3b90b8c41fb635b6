import type { ComponentChildren } from 'preact';
import { formatYen } from './i18n.js';
import type { ViewCtx } from './view.js';

export function Layout(props: { v: ViewCtx; title: string; children: ComponentChildren; narrow?: boolean }) {
  const { v } = props;
  const other = v.lang === 'ja' ? 'en' : 'ja';
  return (
    <html lang={v.lang}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title ? `${props.title} | ${v.shopName}` : v.shopName}</title>
        <link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href={v.assets.css.url} integrity={v.assets.css.integrity} />
        <script src={v.assets.js.url} integrity={v.assets.js.integrity} crossOrigin="anonymous" defer />
      </head>
      <body>
        <a class="skip" href="#main">本文へ移動</a>
        <header class="site-header">
          <div class="wrap header-row">
            <a class="logo" href="/">
              <span class="logo-mark" aria-hidden="true">守</span>
              {v.shopName}
            </a>
            <form class="search" action="/products" method="get" role="search">
              <label class="visually-hidden" for="q">{v.t('search.placeholder')}</label>
              <input id="q" name="q" type="search" placeholder={v.t('search.placeholder')} maxLength={100} />
              <button type="submit">{v.t('search.button')}</button>
            </form>
            <nav class="nav" aria-label="メニュー">
              <a href="/products">{v.t('nav.products')}</a>
              {v.markers ? v.markers.account : <AccountLink v={v} />}
              <a href="/cart" class="cart-link">
                {v.t('nav.cart')}
                {v.markers ? v.markers.cart : <CartBadge count={v.cartCount} />}
              </a>
            </nav>
          </div>
        </header>
        <main id="main" class={props.narrow ? 'wrap narrow' : 'wrap'}>
          {props.children}
        </main>
        <footer class="site-footer">
          <div class="wrap">
            <p class="card-note">🔒 {v.t('footer.card')}</p>
            <nav aria-label="法的情報">
              <a href="/legal/tokushoho">{v.t('footer.tokushoho')}</a>
              <a href="/legal/privacy">{v.t('footer.privacy')}</a>
              <a href="/legal/terms">{v.t('footer.terms')}</a>
              <a href="/catalog-request">{v.t('footer.catalogRequest')}</a>
              <a href={`${v.path.split('?')[0]}?lang=${other}`} hrefLang={other}>{v.t('lang.switch')}</a>
            </nav>
            <p class="copy">© {v.shopName}</p>
          </div>
        </footer>
      </body>
    </html>
  );
}

export function AccountLink(props: { v: Pick<ViewCtx, 'customerName' | 't'> }) {
  return props.v.customerName ? <a href="/account">{props.v.t('nav.account')}</a> : <a href="/login">{props.v.t('nav.login')}</a>;
}

export function CartBadge(props: { count: number }) {
  return props.count > 0 ? <span class="badge" aria-label={`${props.count}点`}>{props.count}</span> : null;
}

export function Price(props: { yen: number; v: ViewCtx }) {
  return (
    <span class="price">
      {formatYen(props.yen)}
      <small>（{props.v.t('price.taxIncluded')}）</small>
    </span>
  );
}

export function Csrf(props: { v: ViewCtx }) {
  return <input type="hidden" name="_csrf" value={props.v.csrf} />;
}

export function ErrorSummary(props: { errors: Record<string, string> }) {
  const entries = Object.entries(props.errors);
  if (entries.length === 0) return null;
  return (
    <div class="alert alert-error" role="alert" tabIndex={-1} id="error-summary">
      <p>入力内容をご確認ください。</p>
      {props.errors._form ? <p>{props.errors._form}</p> : null}
    </div>
  );
}

export function Notice(props: { kind: 'info' | 'success' | 'warn' | 'error'; children: ComponentChildren }) {
  return (
    <div class={`alert alert-${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

interface FieldProps {
  name: string;
  label: string;
  value?: string | null;
  error?: string | undefined;
  type?: string;
  required?: boolean;
  autoComplete?: string;
  hint?: string;
  maxLength?: number;
  inputMode?: 'text' | 'numeric' | 'tel' | 'email';
  placeholder?: string;
  extraClass?: string;
  dataPostal?: string;
}

/** A labelled input with its error right next to it (aria-describedby), as accessible forms need. */
export function Field(p: FieldProps) {
  const id = `f-${p.name}`;
  const describedBy = [p.error ? `${id}-err` : '', p.hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field ${p.error ? 'has-error' : ''} ${p.extraClass ?? ''}`}>
      <label for={id}>
        {p.label}
        {p.required ? <span class="req">必須</span> : <span class="opt">任意</span>}
      </label>
      {p.hint ? <p class="hint" id={`${id}-hint`}>{p.hint}</p> : null}
      <input
        id={id}
        name={p.name}
        type={p.type ?? 'text'}
        value={p.value ?? ''}
        required={p.required}
        autoComplete={p.autoComplete}
        maxLength={p.maxLength ?? 100}
        inputMode={p.inputMode}
        placeholder={p.placeholder}
        aria-invalid={p.error ? 'true' : undefined}
        aria-describedby={describedBy}
        data-postal={p.dataPostal}
      />
      {p.error ? <p class="field-error" id={`${id}-err`}>{p.error}</p> : null}
    </div>
  );
}

export function Select(p: { name: string; label: string; value?: string | null; options: readonly (string | { value: string; label: string })[]; error?: string | undefined; required?: boolean; autoComplete?: string; blank?: string }) {
  const id = `f-${p.name}`;
  return (
    <div class={`field ${p.error ? 'has-error' : ''}`}>
      <label for={id}>
        {p.label}
        {p.required ? <span class="req">必須</span> : <span class="opt">任意</span>}
      </label>
      <select id={id} name={p.name} required={p.required} autoComplete={p.autoComplete} aria-invalid={p.error ? 'true' : undefined} aria-describedby={p.error ? `${id}-err` : undefined}>
        {p.blank !== undefined ? <option value="">{p.blank}</option> : null}
        {p.options.map((o) => {
          const value = typeof o === 'string' ? o : o.value;
          const label = typeof o === 'string' ? o : o.label;
          return (
            <option value={value} selected={value === p.value}>
              {label}
            </option>
          );
        })}
      </select>
      {p.error ? <p class="field-error" id={`${id}-err`}>{p.error}</p> : null}
    </div>
  );
}

export function Pager(props: { v: ViewCtx; page: number; pages: number; href: (page: number) => string }) {
  if (props.pages <= 1) return null;
  return (
    <nav class="pager" aria-label="ページ送り">
      {props.page > 1 ? <a href={props.href(props.page - 1)} rel="prev">‹ {props.v.t('paging.prev')}</a> : <span />}
      <span>
        {props.page} / {props.pages}
      </span>
      {props.page < props.pages ? <a href={props.href(props.page + 1)} rel="next">{props.v.t('paging.next')} ›</a> : <span />}
    </nav>
  );
}
