import { Input, SelectField, TextArea, type FormState } from '../admin/catalog-views.js';
import { Csrf, Notice } from '../admin/components.js';
import type { AdminCtx } from '../admin/layout.js';
import { formatInstantJa, jstDate } from '../shared/time.js';
import { KIND_LABELS, STATUS_LABELS } from './requests.js';
import type { PrivacyRequestKind, PrivacyRequestTable } from './tables.js';

const KIND_OPTIONS = (Object.keys(KIND_LABELS) as PrivacyRequestKind[]).map((k) => ({ value: k, label: KIND_LABELS[k] }));

function Due(props: { r: PrivacyRequestTable }) {
  const overdue = props.r.status === 'open' && props.r.due_on < jstDate();
  return overdue ? <strong class="danger">{props.r.due_on}（期限超過）</strong> : <>{props.r.due_on}</>;
}

/** Requests from people about their data (開示・訂正・利用停止・消去): the list and the form to record a new one. */
export function RequestsPage(props: { c: AdminCtx; rows: PrivacyRequestTable[]; form: FormState; dueDays: number; error?: string | undefined }) {
  const { c, rows } = props;
  return (
    <>
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      <p class="hint">
        個人情報保護法に基づくご本人からの請求です。受付日から{props.dueDays}日以内（設定で変更できます）を対応期限として表示します。
        ご本人確認の方法は「内容」に記録してください。<a href={`${c.base}/privacy`}>保存期間・第三者提供記録</a>
      </p>
      <table class="table">
        <thead><tr><th>受付日</th><th>種類</th><th>状態</th><th>対応期限</th><th>対応者</th><th></th></tr></thead>
        <tbody>
          {rows.map((r) => (
            <tr>
              <td>{r.received_on}</td>
              <td>{KIND_LABELS[r.kind]}</td>
              <td>{STATUS_LABELS[r.status]}</td>
              <td><Due r={r} /></td>
              <td>{r.handled_by ?? ''}</td>
              <td><a href={`${c.base}/privacy/requests/${r.id}`}>詳細</a></td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 ? <p>請求はまだありません。</p> : null}
      <section class="panel" aria-labelledby="new-h">
        <h2 id="new-h">請求を受け付ける</h2>
        <form method="post" action={`${c.base}/privacy/requests`} novalidate>
          <Csrf c={c} />
          <div class="grid">
            <SelectField name="kind" label="種類" state={props.form} options={KIND_OPTIONS} required />
            <Input name="received_on" label="受付日（例 2026-04-01）" state={props.form} required maxLength={10} />
            <Input name="customer_id" label="会員ID（会員の場合）" state={props.form} maxLength={20} />
            <Input name="email" label="メールアドレス" state={props.form} maxLength={254} inputMode="email" />
            <Input name="phone" label="電話番号" state={props.form} maxLength={20} inputMode="tel" />
          </div>
          <TextArea name="detail" label="内容（請求の内容、ご本人確認の方法）" state={props.form} rows={4} maxLength={2000} required />
          <button type="submit" class="btn">受け付ける</button>
        </form>
      </section>
    </>
  );
}

export function RequestPage(props: { c: AdminCtx; r: PrivacyRequestTable; form: FormState; notice?: string | undefined; error?: string | undefined }) {
  const { c, r } = props;
  return (
    <>
      {props.notice ? <Notice kind="success">{props.notice}</Notice> : null}
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      <dl class="facts">
        <dt>種類</dt><dd>{KIND_LABELS[r.kind]}</dd>
        <dt>状態</dt><dd>{STATUS_LABELS[r.status]}</dd>
        <dt>受付日</dt><dd>{r.received_on}</dd>
        <dt>対応期限</dt><dd><Due r={r} /></dd>
        <dt>会員ID</dt><dd>{r.customer_id ? <a href={`${c.base}/customers/${r.customer_id}`}>{r.customer_id}</a> : 'なし'}</dd>
        <dt>内容</dt><dd>{r.detail}</dd>
        <dt>受付者</dt><dd>{r.created_by}（{formatInstantJa(r.created_at)}）</dd>
        {r.handled_at ? <><dt>対応者</dt><dd>{r.handled_by}（{formatInstantJa(r.handled_at)}）</dd><dt>対応内容</dt><dd>{r.outcome}</dd></> : null}
      </dl>
      <p>
        保有個人データ: <a href={`${c.base}/privacy/requests/${r.id}/disclosure.pdf`}>PDF</a> ／ <a href={`${c.base}/privacy/requests/${r.id}/disclosure.json`}>JSON</a>
        （出力は監査ログに記録されます）
      </p>
      {r.status === 'open' ? (
        <section class="panel" aria-labelledby="close-h">
          <h2 id="close-h">対応を記録する</h2>
          <p class="hint">
            {r.kind === 'suspension' ? '「完了」にすると利用停止を登録し、以後この方を広告・カタログ送付の対象にしません。' : null}
            {r.kind === 'deletion' ? '「完了」にすると、この方の会員情報・完了済みのご注文・カタログ請求・メールを匿名化または削除します（取り消せません）。未完了のご注文と会計記録（金額・税額・明細）は法令と契約のため残ります。' : null}
            {r.kind === 'correction' ? '訂正は会員情報・注文の画面で行い、その内容をここに記録してください。' : null}
            {r.kind === 'disclosure' ? '上のPDFまたはJSONをご本人にお渡しし、その方法をここに記録してください。' : null}
          </p>
          <form method="post" action={`${c.base}/privacy/requests/${r.id}/close`} novalidate>
            <Csrf c={c} />
            <SelectField name="status" label="結果" state={props.form} options={[{ value: 'done', label: '完了' }, { value: 'rejected', label: '不対応（理由を通知）' }]} required />
            <TextArea name="outcome" label="対応内容・理由" state={props.form} rows={4} maxLength={2000} required />
            <button type="submit" class="btn">記録する</button>
          </form>
        </section>
      ) : null}
    </>
  );
}
