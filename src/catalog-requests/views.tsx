import { PREFECTURES } from '../shared/jp.js';
import { Csrf, ErrorSummary, Field, Layout, Select } from '../web/layout.js';
import type { ViewCtx } from '../web/view.js';

type Values = Record<string, string>;
type Errors = Record<string, string>;

const TEXT = {
  ja: {
    title: 'カタログ請求',
    lead: '紙のカタログ（商品一覧と注文用紙）を無料でお送りします。お電話・FAX・郵便でもご注文いただけます。',
    orderForm: '注文用紙（PDF）を今すぐ印刷する',
    name: '氏名', kana: 'フリガナ', postal: '郵便番号', postalHint: '入力すると住所が自動で入ります。', prefecture: '都道府県', choose: '選択してください',
    address1: '住所1（市区町村・番地）', address2: '住所2（建物名・部屋番号）', email: 'メールアドレス', emailHint: '発送のご連絡にのみ使います。',
    phone: '電話番号', phoneHint: 'お届けについてご連絡する場合にのみ使います。',
    consentLegend: '個人情報の利用目的と保管期間', consent: '上記の利用目的と保管期間に同意します',
    submit: 'カタログを請求する', privacy: 'プライバシーポリシー',
    thanksTitle: 'カタログのご請求を承りました',
    thanks: ['ご請求ありがとうございます。通常1週間ほどでお届けします。', 'お急ぎの場合は、注文用紙をダウンロードして印刷し、FAXまたは郵便でお送りいただくこともできます。'],
    back: 'トップページへ戻る',
  },
  en: {
    title: 'Request a catalog',
    lead: 'We post you our paper catalog (product list and order form) free of charge. You can also order by phone, FAX or post.',
    orderForm: 'Print the order form (PDF) now',
    name: 'Name', kana: 'Name in katakana', postal: 'Postal code', postalHint: 'The address is filled in from the postal code.', prefecture: 'Prefecture', choose: 'Choose',
    address1: 'Address (city, street, number)', address2: 'Building, room', email: 'E-mail', emailHint: 'Only to tell you the catalog is on its way.',
    phone: 'Phone', phoneHint: 'Only if we need to contact you about the delivery.',
    consentLegend: 'How we use and keep your data', consent: 'I agree to this use and retention period',
    submit: 'Request the catalog', privacy: 'Privacy policy',
    thanksTitle: 'Thank you for your request',
    thanks: ['Your catalog will usually arrive within a week.', 'In a hurry? Download and print the order form and send it to us by FAX or post.'],
    back: 'Back to the home page',
  },
} as const;

export function CatalogRequestPage(props: { v: ViewCtx; values: Values; errors: Errors; consent: string[] }) {
  const { v, values, errors } = props;
  const t = TEXT[v.lang];
  return (
    <Layout v={v} title={t.title} narrow>
      <h1>{t.title}</h1>
      <p>{t.lead}</p>
      <p><a href="/order-form.pdf">{t.orderForm}</a></p>
      <ErrorSummary errors={errors} />
      <form method="post" action="/catalog-request" novalidate>
        <Csrf v={v} />
        <div class="row2">
          <Field name="name" label={t.name} value={values.name} error={errors.name} required autoComplete="name" maxLength={60} placeholder="山田 太郎" />
          <Field name="kana" label={t.kana} value={values.kana} error={errors.kana} maxLength={60} placeholder="ヤマダ タロウ" />
        </div>
        <div class="row2">
          <Field name="postal" label={t.postal} value={values.postal} error={errors.postal} required autoComplete="postal-code" inputMode="numeric" maxLength={10} placeholder="100-0001" hint={t.postalHint} dataPostal="" />
          <Select name="prefecture" label={t.prefecture} value={values.prefecture} options={PREFECTURES} error={errors.prefecture} required autoComplete="address-level1" blank={t.choose} />
        </div>
        <Field name="address1" label={t.address1} value={values.address1} error={errors.address1} required autoComplete="address-line1" placeholder="千代田区千代田1-1" />
        <Field name="address2" label={t.address2} value={values.address2} error={errors.address2} autoComplete="address-line2" />
        <div class="row2">
          <Field name="email" label={t.email} type="email" value={values.email} error={errors.email} autoComplete="email" inputMode="email" maxLength={254} hint={t.emailHint} />
          <Field name="phone" label={t.phone} type="tel" value={values.phone} error={errors.phone} autoComplete="tel" inputMode="tel" maxLength={20} hint={t.phoneHint} />
        </div>
        <fieldset class={errors.consent ? 'has-error' : undefined}>
          <legend>{t.consentLegend}</legend>
          {props.consent.map((p) => <p>{p}</p>)}
          <p><a href="/legal/privacy">{t.privacy}</a></p>
          <label class="choice">
            <input type="checkbox" name="consent" value="1" checked={values.consent === '1'} required aria-invalid={errors.consent ? 'true' : undefined} aria-describedby={errors.consent ? 'f-consent-err' : undefined} />
            {' '}{t.consent}
          </label>
          {errors.consent ? <p class="field-error" id="f-consent-err">{errors.consent}</p> : null}
        </fieldset>
        <button class="btn block" type="submit" data-once>{t.submit}</button>
      </form>
    </Layout>
  );
}

export function CatalogRequestThanksPage(props: { v: ViewCtx }) {
  const t = TEXT[props.v.lang];
  return (
    <Layout v={props.v} title={t.thanksTitle} narrow>
      <h1>{t.thanksTitle}</h1>
      {t.thanks.map((p) => <p>{p}</p>)}
      <p><a href="/order-form.pdf">{t.orderForm}</a></p>
      <p><a href="/">{t.back}</a></p>
    </Layout>
  );
}
