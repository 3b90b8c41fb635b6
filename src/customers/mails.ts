import type { OutgoingMail } from '../notify/outbox.js';
import { pickTemplate, placeholdersIn, renderTemplate, type MailTemplateSpec } from '../notify/template.js';

const FOOTER = `
--
{{shopName}}
このメールに心当たりがない場合は、お手数ですが {{shopEmail}} までご連絡ください。
当店からのメールがクレジットカード番号やパスワードの入力を求めることはありません。`;

const TEMPLATES = {
  verify_email: {
    subject: '【{{shopName}}】メールアドレスの確認',
    body: `{{name}} 様

{{shopName}}への会員登録ありがとうございます。
次のリンクを開いて、メールアドレスの確認を完了してください（24時間有効）。

{{link}}
${FOOTER}`,
  },
  reset_password: {
    subject: '【{{shopName}}】パスワード再設定のご案内',
    body: `{{name}} 様

パスワード再設定のお申し込みを受け付けました。
次のリンクから新しいパスワードを設定してください（1時間有効・1回限り）。

{{link}}

お申し込みに心当たりがない場合は、このメールを破棄してください。パスワードは変更されません。
${FOOTER}`,
  },
  password_changed: {
    subject: '【{{shopName}}】パスワードが変更されました',
    body: `{{name}} 様

{{at}} に、お客様のアカウントのパスワードが変更されました。
ご自身で変更されていない場合は、ただちにパスワード再設定を行い、当店までご連絡ください。
${FOOTER}`,
  },
  change_email: {
    subject: '【{{shopName}}】新しいメールアドレスの確認',
    body: `{{name}} 様

メールアドレス変更のお申し込みを受け付けました。
次のリンクを開くと、このアドレスへの変更が完了します（24時間有効）。

{{link}}
${FOOTER}`,
  },
  email_changed: {
    subject: '【{{shopName}}】メールアドレスが変更されました',
    body: `{{name}} 様

{{at}} に、お客様のアカウントのメールアドレスが {{newEmail}} に変更されました。
ご自身で変更されていない場合は、ただちに当店までご連絡ください。
${FOOTER}`,
  },
  withdrawn: {
    subject: '【{{shopName}}】退会手続きが完了しました',
    body: `{{name}} 様

{{shopName}}の退会手続きが完了しました。これまでのご利用ありがとうございました。
ご注文の記録は、法令で定められた期間保管した後に削除します。
${FOOTER}`,
  },
} as const;

export type CustomerMailKind = keyof typeof TEMPLATES;

const LABELS: Record<CustomerMailKind, string> = {
  verify_email: '会員登録: メールアドレスの確認', reset_password: 'パスワード再設定のご案内', password_changed: 'パスワード変更のお知らせ',
  change_email: 'メールアドレス変更の確認', email_changed: 'メールアドレス変更のお知らせ', withdrawn: '退会完了のお知らせ',
};

/** The member mails as editable templates: each keeps the placeholders its default uses. */
export const CUSTOMER_MAIL_TEMPLATES = Object.fromEntries(
  (Object.keys(TEMPLATES) as CustomerMailKind[]).map((k) => {
    const used = [...new Set([...placeholdersIn(TEMPLATES[k].subject), ...placeholdersIn(TEMPLATES[k].body)])];
    return [k, { label: LABELS[k], subject: TEMPLATES[k].subject, body: TEMPLATES[k].body, placeholders: used, required: used.filter((p) => p === 'link' || p === 'newEmail') }];
  }),
) as unknown as Record<CustomerMailKind, MailTemplateSpec>;

export function customerMail(
  kind: CustomerMailKind, dedupeKey: string, to: string, vars: Record<string, string>,
  overrides: Record<string, { subject: string; body: string }> = {},
): OutgoingMail {
  const t = pickTemplate(CUSTOMER_MAIL_TEMPLATES[kind], overrides[kind]);
  return { dedupeKey, kind, to, subject: renderTemplate(t.subject, vars), text: renderTemplate(t.body, vars) };
}
