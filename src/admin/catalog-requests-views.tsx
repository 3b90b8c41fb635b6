import type { CatalogRequestTable } from '../catalog-requests/tables.js';
import { formatInstantJa } from '../shared/time.js';
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
