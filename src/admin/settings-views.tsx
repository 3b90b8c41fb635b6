import type { ComponentChildren } from 'preact';
import { DELIVERY_SLOTS } from '../settings/defaults.js';
import {
  ACCOUNT_TYPES, COD_ROWS, MAIL_TEMPLATES, REGION_KEYS, REGION_LABELS, ROUNDINGS, SECTION_LABELS, SECTIONS, type Section,
} from '../settings/admin-service.js';
import { PREFECTURES } from '../shared/jp.js';
import { Checkbox, Csrf, FormErrors, Input, Notice, SelectField, TextArea, type FormState } from './catalog-views.js';
import type { AdminCtx } from './layout.js';

export type SectionForms = Record<Section, FormState>;

function SectionForm(props: { c: AdminCtx; section: Section; state: FormState; children: ComponentChildren; hint?: string }) {
  return (
    <section class="panel" id={`s-${props.section}`} aria-labelledby={`s-${props.section}-h`}>
      <h2 id={`s-${props.section}-h`}>{SECTION_LABELS[props.section]}</h2>
      {props.hint ? <p class="hint">{props.hint}</p> : null}
      <form method="post" action={`${props.c.base}/settings/${props.section}`} novalidate>
        <Csrf c={props.c} />
        <FormErrors errors={props.state.errors} />
        {props.children}
        <button type="submit" class="btn">{SECTION_LABELS[props.section]}を保存</button>
      </form>
    </section>
  );
}

export function SettingsPage(props: { c: AdminCtx; forms: SectionForms; notice: string | null }) {
  const { c, forms } = props;
  const f = (s: Section) => ({ c, section: s, state: forms[s] });
  return (
    <>
      <nav class="filters" aria-label="設定の項目">
        {SECTIONS.map((s) => <a href={`#s-${s}`}>{SECTION_LABELS[s]}</a>)}
      </nav>
      <Notice text={props.notice} />
      <p class="hint">設定の変更は監査ログに記録されます。お支払い方法と振込先口座の変更は、すべてのオーナーにメールで通知されます。</p>

      <SectionForm {...f('shop')} hint="特定商取引法に基づく表記、領収書、メールに表示されます。">
        <div class="grid">
          <Input form="shop" name="name" label="ショップ名" state={forms.shop} required maxLength={60} />
          <Input form="shop" name="nameEn" label="ショップ名（英語）" state={forms.shop} required maxLength={60} />
          <Input form="shop" name="company" label="販売業者（会社名・屋号）" state={forms.shop} required maxLength={100} />
          <Input form="shop" name="representative" label="運営責任者" state={forms.shop} required maxLength={60} />
          <Input form="shop" name="postalCode" label="郵便番号" state={forms.shop} required maxLength={10} inputMode="numeric" />
          <Input form="shop" name="address" label="所在地" state={forms.shop} required maxLength={200} />
          <Input form="shop" name="phone" label="電話番号" state={forms.shop} required maxLength={20} inputMode="tel" type="tel" />
          <Input form="shop" name="fax" label="FAX番号" state={forms.shop} maxLength={20} inputMode="tel" type="tel" hint="注文用紙とFAX返信票に印刷されます。FAXで注文を受けない場合は空欄にします。" />
          <Input form="shop" name="email" label="メールアドレス" state={forms.shop} required maxLength={254} type="email" />
          <Input form="shop" name="hours" label="営業時間" state={forms.shop} required maxLength={100} />
          <Input form="shop" name="invoiceRegistrationNumber" label="適格請求書発行事業者登録番号" state={forms.shop} required maxLength={30} hint="「T」＋13桁の数字（例: T1234567890123）" />
        </div>
      </SectionForm>

      <SectionForm {...f('legal')} hint="プレーンテキストです（HTMLやMarkdownは使えません）。改行はそのまま段落になります。">
        <TextArea form="legal" name="returns" label="返品・交換について" state={forms.legal} required rows={4} maxLength={5000} />
        <TextArea form="legal" name="privacyContact" label="個人情報のお問い合わせ窓口" state={forms.legal} required rows={2} maxLength={1000} />
        <TextArea form="legal" name="privacyPolicy" label="プライバシーポリシー" state={forms.legal} required rows={8} maxLength={30000} />
        <TextArea form="legal" name="terms" label="ご利用規約" state={forms.legal} required rows={8} maxLength={30000} />
        <TextArea form="legal" name="extraTokushoho" label="特定商取引法に基づく表記への追記" state={forms.legal} rows={3} maxLength={5000} />
      </SectionForm>

      <SectionForm {...f('tax')} hint="注文ごと・税率ごとに、税込合計から消費税額を求めるときの端数処理です。変更は以後の注文に適用されます。">
        <SelectField form="tax" name="rounding" label="端数処理" state={forms.tax} required options={ROUNDINGS} />
      </SectionForm>

      <SectionForm {...f('shipping')} hint="税込・円。都道府県別の欄を空欄にすると地域の送料を使います。">
        <Input form="shipping" name="freeFromYen" label="送料無料になる商品合計（税込）" state={forms.shipping} required inputMode="numeric" maxLength={9} hint="0にすると送料無料にしません。" />
        <h3>地域別の送料</h3>
        <div class="grid">
          {REGION_KEYS.map((k) => <Input form="shipping" name={`region_${k}`} label={REGION_LABELS[k] ?? k} state={forms.shipping} required inputMode="numeric" maxLength={7} />)}
        </div>
        <h3>都道府県別の送料（任意）</h3>
        <div class="grid">
          {PREFECTURES.map((p, i) => <Input form="shipping" name={`pref_${i}`} label={p} state={forms.shipping} inputMode="numeric" maxLength={7} />)}
        </div>
      </SectionForm>

      <SectionForm {...f('cod')} hint="代金引換でお支払いいただく金額（商品合計＋送料）ごとの手数料（税込）。上限金額の小さい順に入力します。最後の行の上限を超える注文では代金引換を選べません。">
        <table>
          <thead><tr><th>行</th><th>上限金額（円・以下）</th><th>手数料（円）</th></tr></thead>
          <tbody>
            {Array.from({ length: COD_ROWS }, (_, i) => (
              <tr>
                <td>{i + 1}</td>
                <td><Input form="cod" name={`up_${i}`} label={`${i + 1}行目の上限金額`} state={forms.cod} inputMode="numeric" maxLength={9} /></td>
                <td><Input form="cod" name={`fee_${i}`} label={`${i + 1}行目の手数料`} state={forms.cod} inputMode="numeric" maxLength={7} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </SectionForm>

      <SectionForm {...f('bank')} hint="銀行振込のご注文の案内メールと注文完了画面に表示されます。変更はすべてのオーナーに通知されます。">
        <div class="grid">
          <Input form="bank" name="bankName" label="銀行名" state={forms.bank} required maxLength={60} />
          <Input form="bank" name="branchName" label="支店名" state={forms.bank} required maxLength={60} />
          <SelectField form="bank" name="accountType" label="口座種別" state={forms.bank} required options={ACCOUNT_TYPES.map((t) => ({ value: t, label: t }))} />
          <Input form="bank" name="accountNumber" label="口座番号（7桁）" state={forms.bank} required inputMode="numeric" maxLength={20} />
          <Input form="bank" name="accountHolder" label="口座名義（カナ）" state={forms.bank} required maxLength={60} />
          <Input form="bank" name="dueDays" label="お支払い期限（ご注文から何日以内）" state={forms.bank} required inputMode="numeric" maxLength={2} />
        </div>
      </SectionForm>

      <SectionForm {...f('postal')} hint="電話・FAX・はがきのご注文で「郵便振替」を選んだときに、ご注文確認メールに表示されます。変更はすべてのオーナーに通知されます。">
        <div class="grid">
          <Input form="postal" name="accountNumber" label="口座記号番号（例 00100-0-123456）" state={forms.postal} required maxLength={20} />
          <Input form="postal" name="accountHolder" label="加入者名" state={forms.postal} required maxLength={60} />
          <Input form="postal" name="dueDays" label="お支払い期限（ご注文から何日以内）" state={forms.postal} required inputMode="numeric" maxLength={2} />
        </div>
      </SectionForm>

      <SectionForm {...f('paymentLinks')} hint="スタッフが入力したカード払いのご注文に発行する、決済代行会社のお支払いページへのリンクの有効期間です。">
        <Input form="paymentLinks" name="validDays" label="有効期間（日）" state={forms.paymentLinks} required inputMode="numeric" maxLength={2} />
      </SectionForm>

      <SectionForm {...f('privacy')} hint="個人情報を保存する期間です。毎日1回、期間を過ぎたお名前・ご住所・電話番号・メールアドレスを匿名化します（金額・税額・明細は会計記録として残ります）。理由は docs/privacy.md を参照してください。">
        <div class="grid">
          <Input form="privacy" name="guestOrderYears" label="ゲスト注文: 完了から何年で匿名化（1〜10）" state={forms.privacy} required inputMode="numeric" maxLength={2} />
          <Input form="privacy" name="withdrawnMonths" label="退会会員: 退会から何か月で匿名化（1〜120）" state={forms.privacy} required inputMode="numeric" maxLength={3} />
          <Input form="privacy" name="catalogRequestMonths" label="カタログ請求: 請求から何か月で削除（1〜24）" state={forms.privacy} required inputMode="numeric" maxLength={2} />
          <Input form="privacy" name="outboxDays" label="送信済みメールの本文: 送信から何日で削除（7〜3650）" state={forms.privacy} required inputMode="numeric" maxLength={4} />
          <Input form="privacy" name="accountingYears" label="会計記録（金額・税額・明細）の保存年数（7〜10）" state={forms.privacy} required inputMode="numeric" maxLength={2} />
          <Input form="privacy" name="requestDueDays" label="開示等の請求への対応期限（受付から何日、1〜30）" state={forms.privacy} required inputMode="numeric" maxLength={2} />
        </div>
      </SectionForm>

      <SectionForm {...f('delivery')}>
        <div class="grid">
          <Input form="delivery" name="minDaysAhead" label="お届け日に指定できる最短日（ご注文の何日後）" state={forms.delivery} required inputMode="numeric" maxLength={3} />
          <Input form="delivery" name="maxDaysAhead" label="お届け日に指定できる最長日（ご注文の何日後）" state={forms.delivery} required inputMode="numeric" maxLength={3} />
        </div>
        <fieldset>
          <legend>指定できる時間帯</legend>
          {DELIVERY_SLOTS.map((slot, i) => {
            const chosen = (forms.delivery.values.slots ?? '').split('\n').includes(slot);
            return (
              <label for={`f-delivery-slot-${i}`}>
                <input id={`f-delivery-slot-${i}`} type="checkbox" name="slots" value={slot} checked={chosen} /> {slot === '午前中' ? slot : `${slot}時`}{' '}
              </label>
            );
          })}
          {forms.delivery.errors.slots ? <p class="field-error">{forms.delivery.errors.slots}</p> : null}
        </fieldset>
      </SectionForm>

      <SectionForm {...f('payments')} hint="オフにしたお支払い方法は、ご注文手続きに表示されなくなります。変更はすべてのオーナーに通知されます。">
        <Checkbox form="payments" name="card" label="クレジットカード" state={forms.payments} />
        <Checkbox form="payments" name="bankTransfer" label="銀行振込（前払い）" state={forms.payments} />
        <Checkbox form="payments" name="cod" label="代金引換" state={forms.payments} />
        <p class="hint">
          {c.cardSuspended ? 'カード決済は現在キルスイッチで停止中です。' : ''}
          不正利用が疑われるときにカード決済を即時に止める「キルスイッチ」は<a href={`${c.base}/security`}>セキュリティ</a>画面にあります。
        </p>
      </SectionForm>

      <SectionForm {...f('mail')} hint="お客様に届くメールの文面です。プレーンテキストで、{{…}} の差し込み項目だけが置き換わります（プログラムは実行されません）。空にすると標準の文面に戻ります。変更はすべてのオーナーに通知されます。">
        {Object.entries(MAIL_TEMPLATES).map(([key, spec]) => (
          <fieldset>
            <legend>{spec.label}</legend>
            <p class="hint">使える差し込み項目: {spec.placeholders.map((p) => `{{${p}}}`).join(' ')}{spec.required.length ? `（省けないもの: ${spec.required.map((p) => `{{${p}}}`).join(' ')}）` : ''}</p>
            <Input form="mail" name={`${key}__subject`} label="件名" state={forms.mail} maxLength={200} />
            <TextArea form="mail" name={`${key}__body`} label="本文" state={forms.mail} rows={12} maxLength={20000} />
          </fieldset>
        ))}
      </SectionForm>
    </>
  );
}

