import type { CatalogRequestTable } from '../catalog-requests/tables.js';
import { formatInstantJa } from '../shared/time.js';
import { PREFECTURES } from '../shared/jp.js';
import { Checkbox, FormErrors, Input, SelectField, type FormState } from './catalog-views.js';
import { Csrf, Notice } from './components.js';
import type { AdminCtx } from './layout.js';
import { query } from './orders-views.js';

export type ListValues = Partial<Record<'status' | 'q' | 'page', string>>;

export const REQUEST_STATUS_LABELS: Record<string, string> = { new: '未発送', sent: '発送済み' };

export function CatalogRequestsPage(props: {
  c: AdminCtx;
  values: ListValues;
  rows: CatalogRequestTable[];
  total: number;
  page: number;
  pages: number;
  error?: string | undefined;
  done?: number | null;
  /** Request id → how many other requests share its name and postal code. */
  duplicates?: Map<string, number>;
}) {
  const { c, values: v, rows } = props;
  const filter = { status: v.status, q: v.q };
  const shownNew = rows.filter((r) => r.status === 'new');
  return (
    <>
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      {props.done !== undefined && props.done !== null ? <Notice kind="success">{props.done}件を発送済みにしました。</Notice> : null}
      <p class="hint">
        ストアの「カタログ請求」フォームからのご請求です。請求者の氏名・住所は個人情報のため、一覧の表示と宛名CSVの出力は監査ログに記録されます。
        {' '}<a href={`${c.base}/catalog/order-form.pdf`}>注文用紙（PDF）</a>を同封してください。
      </p>
      <form method="get" action={`${c.base}/catalog-requests`} class="filters" role="search">
        <div class="field">
          <label for="f-status">状態</label>
          <select id="f-status" name="status">
            <option value="">すべて</option>
            {Object.entries(REQUEST_STATUS_LABELS).map(([k, label]) => <option value={k} selected={v.status === k}>{label}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="f-q">キーワード</label>
          <input id="f-q" type="search" name="q" value={v.q ?? ''} maxLength={100} placeholder="氏名・フリガナ・電話番号・郵便番号・メール" />
        </div>
        <button type="submit" class="btn">絞り込む</button>
        <a class="btn secondary" href={`${c.base}/catalog-requests`}>条件をクリア</a>
      </form>
      <p>
        {props.total}件{props.total > 0 ? `（${props.page} / ${props.pages}ページ）` : ''}
        {' '}<a class="btn secondary" href={`${c.base}/catalog-requests/labels.csv${query(filter)}`}>この条件の宛名ラベルCSV</a>
        {' '}<a class="btn secondary" href={`${c.base}/catalog-requests/new`}>電話・FAX・はがきの請求を入力</a>
      </p>
      {rows.length > 0 ? (
        <form method="post" action={`${c.base}/catalog-requests/mark-sent`} id="bulk">
          <Csrf c={c} />
          {Object.entries({ ...filter, page: v.page }).map(([k, val]) => (val ? <input type="hidden" name={k} value={val} /> : null))}
          <table>
            <thead>
              <tr><th>選択</th><th>請求日時</th><th>氏名</th><th>住所</th><th>連絡先</th><th>状態</th></tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr>
                  <td>
                    {r.status === 'new' ? (
                      <input type="checkbox" name="ids" value={r.id} id={`sel-${r.id}`} aria-label={`${r.name} 様を選択`} />
                    ) : null}
                  </td>
                  <td>{formatInstantJa(r.created_at)}</td>
                  <td>
                    {r.name} 様{r.kana ? <><br /><small class="hint">{r.kana}</small></> : null}
                    {props.duplicates?.get(r.id) ? <><br /><span class="tag">同じ氏名・郵便番号の請求が他に{props.duplicates.get(r.id)}件</span></> : null}
                  </td>
                  <td>〒{r.postal_code} {r.prefecture}{r.address1}{r.address2 ? <><br />{r.address2}</> : null}</td>
                  <td>{r.phone ?? ''}{r.email ? <><br /><small>{r.email}</small></> : null}</td>
                  <td>
                    <span class="tag">{REQUEST_STATUS_LABELS[r.status] ?? r.status}</span>
                    {r.sent_at ? <><br /><small class="hint">{formatInstantJa(r.sent_at)}</small></> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {shownNew.length > 0 ? <p><button type="submit" class="btn">選択した請求を発送済みにする</button></p> : null}
        </form>
      ) : (
        <p>{props.error ? '' : '条件に合うカタログ請求はありません。'}</p>
      )}
      {shownNew.length > 1 ? (
        <form method="post" action={`${c.base}/catalog-requests/mark-sent`}>
          <Csrf c={c} />
          {Object.entries({ ...filter, page: v.page }).map(([k, val]) => (val ? <input type="hidden" name={k} value={val} /> : null))}
          {shownNew.map((r) => <input type="hidden" name="ids" value={r.id} />)}
          <p>
            <button type="submit" class="btn secondary" data-confirm={`このページの未発送${shownNew.length}件をすべて発送済みにしますか？`}>
              このページの未発送（{shownNew.length}件）をすべて発送済みにする
            </button>
          </p>
        </form>
      ) : null}
      {props.pages > 1 ? (
        <nav class="pager" aria-label="ページ">
          {props.page > 1 ? <a rel="prev" href={`${c.base}/catalog-requests${query({ ...filter, page: props.page - 1 })}`}>前へ</a> : null}
          {' '}<span>{props.page} / {props.pages}</span>{' '}
          {props.page < props.pages ? <a rel="next" href={`${c.base}/catalog-requests${query({ ...filter, page: props.page + 1 })}`}>次へ</a> : null}
        </nav>
      ) : null}
    </>
  );
}

const ENTRY_CHANNELS = [
  { value: 'phone', label: '電話' },
  { value: 'fax', label: 'FAX' },
  { value: 'postcard', label: 'はがき' },
  { value: 'other', label: 'その他' },
] as const;

/** A catalog request taken by phone, FAX or postcard, typed in by staff. */
export function CatalogRequestEntryPage(props: { c: AdminCtx; state: FormState; consent: string[] }) {
  const { c, state } = props;
  const prefs = PREFECTURES.map((p) => ({ value: p, label: p }));
  return (
    <section class="panel">
      <p class="hint">電話・FAX・はがきで受けたカタログ請求を入力します。ご本人が書いた内容のとおりに入力してください。</p>
      <form method="post" action={`${c.base}/catalog-requests/new`} novalidate>
        <Csrf c={c} />
        <FormErrors errors={state.errors} />
        <SelectField name="channel" label="受付経路" required options={ENTRY_CHANNELS} blank="選択してください" state={state} />
        <Input name="name" label="氏名" required maxLength={60} state={state} />
        <Input name="kana" label="フリガナ" maxLength={60} state={state} />
        <Input name="postal" label="郵便番号" required maxLength={10} inputMode="numeric" state={state} />
        <SelectField name="prefecture" label="都道府県" required options={prefs} blank="選択してください" state={state} />
        <Input name="address1" label="住所1（市区町村・番地）" required maxLength={100} state={state} />
        <Input name="address2" label="住所2（建物名・部屋番号）" maxLength={100} state={state} />
        <Input name="phone" label="電話番号" maxLength={20} inputMode="tel" state={state} />
        <Input name="email" label="メールアドレス" type="email" maxLength={254} state={state} />
        <div class="notice">{props.consent.map((line) => <p>{line}</p>)}</div>
        <Checkbox name="consent" label="上記の利用目的と保管期間をご本人に伝え、同意を得ました（はがき・FAXは記載の同意欄で確認）" state={state} />
        <button type="submit" class="btn">登録する</button>
      </form>
    </section>
  );
}
