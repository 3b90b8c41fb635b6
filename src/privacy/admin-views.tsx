import { Csrf, Notice } from '../admin/components.js';
import type { AdminCtx } from '../admin/layout.js';
import { formatInstantJa } from '../shared/time.js';
import type { PrivacySettings } from '../settings/defaults.js';
import type { ProvisionRecord } from './provisions.js';
import type { RetentionCounts } from './retention.js';

export const COUNT_LABELS: Record<keyof RetentionCounts, string> = {
  guestOrders: 'ゲスト注文の匿名化',
  withdrawnMembers: '退会会員の匿名化',
  memberOrders: '退会会員の完了済み注文の匿名化',
  catalogRequests: 'カタログ請求の削除',
  outboxMails: '送信済みメールの宛先・本文の消去',
};

/** The owner's privacy page: the retention plan (counts only) and the third-party provision records. */
export function PrivacyPage(props: {
  c: AdminCtx;
  policy: PrivacySettings;
  plan: RetentionCounts;
  provisions: ProvisionRecord[];
  total: number;
  page: number;
  pages: number;
  done?: RetentionCounts | null;
}) {
  const { c, policy, plan } = props;
  return (
    <>
      {props.done ? <Notice kind="success">保存期間の処理を実行しました（{Object.entries(props.done).map(([k, n]) => `${COUNT_LABELS[k as keyof RetentionCounts]} ${n}件`).join('、')}）。</Notice> : null}
      <section class="panel" aria-labelledby="ret-h">
        <h2 id="ret-h">保存期間（次回の処理予定）</h2>
        <p class="hint">
          ゲスト注文は完了から{policy.guestOrderYears}年、退会会員は退会から{policy.withdrawnMonths}か月、カタログ請求は{policy.catalogRequestMonths}か月、送信済みメールは{policy.outboxDays}日で処理します。
          金額・税額・明細は会計記録として{policy.accountingYears}年以上、氏名なしで保存します。期間は<a href={`${c.base}/settings#s-privacy`}>設定</a>で変更できます。処理は毎日1回自動で行われます。
        </p>
        <table class="table">
          <thead><tr><th>処理</th><th>件数</th></tr></thead>
          <tbody>
            {(Object.keys(COUNT_LABELS) as (keyof RetentionCounts)[]).map((k) => <tr><td>{COUNT_LABELS[k]}</td><td>{plan[k]}</td></tr>)}
          </tbody>
        </table>
        <form method="post" action={`${c.base}/privacy/retention/run`}>
          <Csrf c={c} />
          <button type="submit" class="btn">今すぐ実行する</button>
        </form>
      </section>
      <section class="panel" aria-labelledby="prv-h">
        <h2 id="prv-h">第三者提供記録</h2>
        <p class="hint">
          配送業者向けの送り状CSV（ヤマトB2・佐川e飛伝）を出力するたびに、提供日・提供先・注文・提供した項目を記録しています。
          配送を委託する配送業者は通常「委託先」（個人情報保護法27条5項1号）にあたり記録義務はありませんが、説明責任のために保存しています。
        </p>
        {props.provisions.length === 0 ? <p>記録はまだありません。</p> : (
          <table class="table">
            <thead><tr><th>提供日時</th><th>提供先</th><th>目的</th><th>項目</th><th>注文</th><th>担当</th></tr></thead>
            <tbody>
              {props.provisions.map((r) => (
                <tr>
                  <td>{formatInstantJa(r.at)}</td>
                  <td>{r.recipient}</td>
                  <td>{r.purpose}</td>
                  <td>{r.items.join('、')}</td>
                  <td>{r.orderCount}件<br /><small>{r.orderNumbers.slice(0, 20).join(' ')}{r.orderCount > 20 ? ' …' : ''}</small></td>
                  <td>{r.actor}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {props.pages > 1 ? (
          <nav class="pager" aria-label="ページ">
            {props.page > 1 ? <a href={`${c.base}/privacy?page=${props.page - 1}`}>前へ</a> : null}
            <span>{props.page} / {props.pages}（{props.total}件）</span>
            {props.page < props.pages ? <a href={`${c.base}/privacy?page=${props.page + 1}`}>次へ</a> : null}
          </nav>
        ) : null}
      </section>
    </>
  );
}
