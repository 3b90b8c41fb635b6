import { AdminField, Csrf, FormError, Notice } from '../admin/auth-views.js';
import type { AdminCtx } from '../admin/layout.js';
import type { FieldErrors } from '../shared/validation.js';
import type { DeadlineStatus } from './deadlines.js';
import { KNOWN_VIA_JA, TIMELINE_JA, type KnownVia, type ScopeCounts, type TimelineKind } from './model.js';
import { BarChart } from '../admin/charts.js';
import type { IncidentView } from './records/service.js';
import type { SnapshotDiff, SnapshotSummary } from './snapshots.js';
import type { IncidentLetterBatchTable } from './records/tables.js';
import { NOTICE_TEMPLATE } from './notices/render.js';

export interface NoticePanel {
  progress: { total: number; emailQueued: number; emailSent: number; bounced: number; lettersPending: number; lettersGenerated: number; lettersPosted: number; byReason: Record<string, number> };
  batches: IncidentLetterBatchTable[];
}

export interface ScopePanel {
  snapshots: SnapshotSummary[];
  diff: SnapshotDiff | null;
  byMonth: { month: string; persons: number; recipients: number }[];
}
import type { IncidentTable } from './records/tables.js';

const n = (v: number) => v.toLocaleString('ja-JP');

function StatusList(props: { status: DeadlineStatus[] }) {
  return (
    <ul class="deadlines">
      {props.status.map((s) => (
        <li data-report={s.report} data-state={s.state} class={s.state === 'overdue' || s.state === 'due_today' ? 'tag danger' : s.state === 'due_soon' ? 'tag warn' : 'tag'}>{s.message}</li>
      ))}
    </ul>
  );
}

function Select<T extends string>(props: { name: string; label: string; options: Record<T, string>; value: string; error?: string | undefined }) {
  const id = `f-${props.name}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} name={props.name} aria-invalid={props.error ? 'true' : undefined}>
        {(Object.entries(props.options) as [T, string][]).map(([k, label]) => <option value={k} selected={k === props.value}>{label}</option>)}
      </select>
      {props.error ? <p class="field-error">{props.error}</p> : null}
    </div>
  );
}

function TextArea(props: { name: string; label: string; value: string; error?: string | undefined; hint?: string; rows?: number }) {
  const id = `f-${props.name}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.hint ? <p class="hint">{props.hint}</p> : null}
      <textarea id={id} name={props.name} rows={props.rows ?? 3} maxLength={4000} aria-invalid={props.error ? 'true' : undefined}>{props.value}</textarea>
      {props.error ? <p class="field-error">{props.error}</p> : null}
    </div>
  );
}

function Check(props: { name: string; label: string; checked: boolean }) {
  return (
    <div class="field check">
      <label><input type="checkbox" name={props.name} value="on" checked={props.checked} /> {props.label}</label>
    </div>
  );
}

export function IncidentListView(props: { c: AdminCtx; rows: { incident: IncidentTable; status: DeadlineStatus[] }[]; errors: FieldErrors; values: Record<string, string> }) {
  const { c } = props;
  return (
    <>
      <section class="panel" aria-labelledby="list-h">
        <h2 id="list-h">インシデント一覧</h2>
        {props.rows.length === 0 ? <p>記録されたインシデントはありません。</p> : (
          <table>
            <thead><tr><th>番号</th><th>件名</th><th>把握日</th><th>経緯</th><th>報告期限</th></tr></thead>
            <tbody>
              {props.rows.map(({ incident: i, status }) => (
                <tr>
                  <td><a href={`${c.base}/incidents/${i.id}`}>{i.number}</a></td>
                  <td>{i.title}</td>
                  <td>{i.known_on}</td>
                  <td>{KNOWN_VIA_JA[i.known_via]}</td>
                  <td><StatusList status={status} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section class="panel" aria-labelledby="new-h">
        <h2 id="new-h">インシデントを記録する</h2>
        <p class="hint">漏えい等のおそれを知った日が、個人情報保護委員会への報告期限の起算日（1日目）になります。</p>
        <form method="post" action={`${c.base}/incidents`} novalidate>
          <Csrf c={c} />
          <FormError errors={props.errors} />
          <AdminField name="title" label="件名" value={props.values.title} error={props.errors.title} required maxLength={200} />
          <AdminField name="known_on" label="把握した日" type="date" value={props.values.known_on} error={props.errors.known_on} required />
          <Select name="known_via" label="把握した経緯" options={KNOWN_VIA_JA} value={props.values.known_via ?? 'police'} error={props.errors.known_via} />
          <TextArea name="known_detail" label="把握した内容" value={props.values.known_detail ?? ''} error={props.errors.known_detail} />
          <button type="submit" class="btn">記録する</button>
        </form>
      </section>
    </>
  );
}

export function IncidentView(props: { c: AdminCtx; view: IncidentView; scope: ScopeCounts; scopes: ScopePanel; notices: NoticePanel; notice?: string | undefined; errors: FieldErrors; form?: 'facts' | 'event' | 'template' | undefined; values: Record<string, string> }) {
  const { c, view } = props;
  const i = view.incident;
  const base = `${c.base}/incidents/${i.id}`;
  const fe = props.form === 'facts' ? props.errors : {};
  const ee = props.form === 'event' ? props.errors : {};
  const te = props.form === 'template' ? props.errors : {};
  const v = (k: string, fallback: string | null) => (props.form === 'facts' && props.values[k] !== undefined ? props.values[k]! : fallback ?? '');
  return (
    <>
      {props.notice ? <Notice kind="success">{props.notice}</Notice> : null}
      <section class="panel" aria-labelledby="deadline-h">
        <h2 id="deadline-h">{i.number} 報告期限</h2>
        <p>把握日 {i.known_on}（{KNOWN_VIA_JA[i.known_via]}）。速報の目安 {view.deadlines.preliminary.target}、遅くとも {view.deadlines.preliminary.latest}。確報 {view.deadlines.final.due}（{view.deadlines.final.days}日{i.case_unlawful ? '・不正の目的' : ''}）。</p>
        <StatusList status={view.status} />
      </section>
      <section class="panel" aria-labelledby="scope-h">
        <h2 id="scope-h">影響範囲{props.scope.snapshot ? `（第${props.scope.snapshot}版）` : ''}</h2>
        {props.scope.snapshot === null ? <p class="hint">まだ影響範囲を算出していません。漏えいのおそれのある期間を入力して算出してください。</p> : null}
        <table class="scope-counts">
          <tbody>
            <tr><th>クレジットカード情報</th><td class="num" data-count="card">{n(props.scope.card.persons)}人</td><td class="num">決済試行 {n(props.scope.card.payments)}件</td></tr>
            <tr><th>注文者・会員情報</th><td class="num" data-count="personal">{n(props.scope.personal.persons)}人</td><td /></tr>
            <tr><th>配送先（第三者）</th><td class="num" data-count="recipients">{n(props.scope.recipients.persons)}人</td><td /></tr>
            <tr><th>合計（重複除く）</th><td class="num" data-count="total">{n(props.scope.total.persons)}人</td><td /></tr>
          </tbody>
        </table>
        <form method="post" action={`${base}/scope`}>
          <Csrf c={c} />
          <p class="hint">入力された期間（日本時間の暦日、両端を含む）で、当社の注文・会員記録（移行した履歴を含む）から対象者を算出し、番号付きで保存します。期間を変えて算出し直すと、前回との差（追加・除外された方）を表示します。</p>
          <button type="submit" class="btn">影響範囲を算出して保存する</button>
        </form>
        {props.scopes.snapshots.length > 0 ? (
          <table>
            <thead><tr><th>版</th><th>算出日時</th><th>カード期間</th><th>個人情報期間</th><th class="num">カード</th><th class="num">個人情報</th><th class="num">配送先</th><th class="num">合計</th><th>算出者</th></tr></thead>
            <tbody>
              {props.scopes.snapshots.map((sn) => (
                <tr data-snapshot={sn.seq}>
                  <td>第{sn.seq}版</td><td>{sn.createdAt.slice(0, 16).replace('T', ' ')}</td>
                  <td>{sn.windows.card ? `${sn.windows.card.from}〜${sn.windows.card.to}` : '—'}</td>
                  <td>{sn.windows.personal ? `${sn.windows.personal.from}〜${sn.windows.personal.to}` : '—'}</td>
                  <td class="num">{n(sn.counts.card.persons)}</td><td class="num">{n(sn.counts.personal.persons)}</td><td class="num">{n(sn.counts.recipients.persons)}</td><td class="num">{n(sn.counts.total.persons)}</td>
                  <td>{sn.createdBy}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {props.scopes.diff ? (
          <div class="scope-diff" data-added={props.scopes.diff.added} data-removed={props.scopes.diff.removed}>
            <h3>第{props.scopes.diff.from}版からの変更</h3>
            <p>追加 {n(props.scopes.diff.added)}人、除外 {n(props.scopes.diff.removed)}人</p>
            {props.scopes.diff.addedSample.length ? <p class="hint">追加（一部）: {props.scopes.diff.addedSample.map((x) => x.name).join('、')}</p> : null}
            {props.scopes.diff.removedSample.length ? <p class="hint">除外（一部）: {props.scopes.diff.removedSample.map((x) => x.name).join('、')}</p> : null}
          </div>
        ) : null}
        {props.scopes.snapshots.length > 0 ? (
          <>
            <BarChart id="by-category" title="区分別の対象者数" unit="人" bars={[
              { label: 'クレジットカード', value: props.scope.card.persons },
              { label: '注文者・会員', value: props.scope.personal.persons },
              { label: '配送先（第三者）', value: props.scope.recipients.persons },
            ]} />
            <BarChart id="by-month" title="最初に情報が入力された月別の対象者数（配送先を含む）" unit="人" bars={props.scopes.byMonth.map((m) => ({ label: m.month, value: m.persons + m.recipients }))} />
            <BarChart id="by-channel" title="通知の方法別" unit="件" bars={[
              { label: 'メール送信済み', value: props.notices.progress.emailSent },
              { label: 'メール送信待ち', value: props.notices.progress.emailQueued },
              { label: '書状（メール不達）', value: props.notices.progress.byReason.bounced ?? 0 },
              { label: '書状（メールなし）', value: props.notices.progress.byReason.no_email ?? 0 },
              { label: '書状（配送先）', value: props.notices.progress.byReason.recipient ?? 0 },
            ]} />
            <p><a href={`${base}/documents/card-payments.csv`}>カード会社向け: 対象となるカード決済の一覧（CSV、カード番号は含みません）</a></p>
          </>
        ) : null}
      </section>
      <section class="panel" aria-labelledby="notices-h">
        <h2 id="notices-h">ご本人への通知</h2>
        <table class="notice-progress">
          <tbody>
            <tr><th>通知対象</th><td class="num" data-progress="total">{n(props.notices.progress.total)}件</td></tr>
            <tr><th>メール送信待ち</th><td class="num" data-progress="queued">{n(props.notices.progress.emailQueued)}件</td></tr>
            <tr><th>メール送信済み</th><td class="num" data-progress="sent">{n(props.notices.progress.emailSent)}件</td></tr>
            <tr><th>メール不達（書状へ）</th><td class="num" data-progress="bounced">{n(props.notices.progress.bounced)}件</td></tr>
            <tr><th>書状作成待ち</th><td class="num" data-progress="letter_pending">{n(props.notices.progress.lettersPending)}件</td></tr>
            <tr><th>書状作成済み</th><td class="num" data-progress="letter_generated">{n(props.notices.progress.lettersGenerated)}件</td></tr>
            <tr><th>書状投函済み</th><td class="num" data-progress="letter_posted">{n(props.notices.progress.lettersPosted)}件</td></tr>
          </tbody>
        </table>
        <form method="post" action={`${base}/notices/send`}>
          <Csrf c={c} />
          <p class="hint">最新の影響範囲の対象者のうち、まだ通知していない方へ送ります。メールアドレスのある方にはメールで（送信速度を制限し、同じ方に二度送ることはありません）、ない方と配送先の方には書状で通知します。</p>
          <button type="submit" class="btn" data-confirm="通知を送信します。よろしいですか？" disabled={props.scopes.snapshots.length === 0}>通知を送信する</button>
        </form>
        <form method="post" action={`${base}/letters`}>
          <Csrf c={c} />
          <button type="submit" class="btn secondary" disabled={props.notices.progress.lettersPending === 0}>書状を作成する（PDF・発送用CSV）</button>
        </form>
        {props.notices.batches.length ? (
          <table>
            <thead><tr><th>便</th><th class="num">通数</th><th class="num">ページ</th><th>作成</th><th>投函</th><th>ファイル</th></tr></thead>
            <tbody>
              {props.notices.batches.map((b) => (
                <tr data-batch={b.seq}>
                  <td>第{b.seq}便</td><td class="num">{b.letters}</td><td class="num">{b.pages}</td><td>{b.created_at.slice(0, 16).replace('T', ' ')}</td>
                  <td>{b.posted_at ? b.posted_at.slice(0, 10) : (
                    <form method="post" action={`${base}/letters/${b.id}/posted`}><Csrf c={c} /><button type="submit" class="btn small secondary">投函済みにする</button></form>
                  )}</td>
                  <td><a href={`${base}/letters/${b.id}/letters.pdf`}>PDF</a> / <a href={`${base}/letters/${b.id}/mailing.csv`}>CSV</a></td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        <details open={props.form === 'template'}>
          <summary>通知文のひな形</summary>
          <form method="post" action={`${base}/template`} novalidate>
            <Csrf c={c} />
            <FormError errors={te} />
            <p class="hint">使える差し込み項目: {NOTICE_TEMPLATE.placeholders.map((p) => `{{${p}}}`).join(' ')}（必須: {NOTICE_TEMPLATE.required.map((p) => `{{${p}}}`).join(' ')}）。リンクや入力をお願いする文は入れないでください。</p>
            <AdminField name="notice_subject" label="件名" value={props.form === 'template' ? props.values.notice_subject : (i.notice_subject ?? NOTICE_TEMPLATE.subject)} error={te.notice_subject} required maxLength={200} />
            <TextArea name="notice_body" label="本文" rows={16} value={props.form === 'template' ? (props.values.notice_body ?? '') : (i.notice_body ?? NOTICE_TEMPLATE.body)} error={te.notice_body} />
            <button type="submit" class="btn secondary">ひな形を保存する</button>
          </form>
        </details>
      </section>
      <section class="panel" aria-labelledby="docs-h">
        <h2 id="docs-h">報告書・公表文の下書き</h2>
        <ul>
          <li>個人情報保護委員会への速報: <a href={`${base}/documents/ppc-preliminary.md`}>Markdown</a> / <a href={`${base}/documents/ppc-preliminary.pdf`}>PDF</a></li>
          <li>個人情報保護委員会への確報: <a href={`${base}/documents/ppc-final.md`}>Markdown</a> / <a href={`${base}/documents/ppc-final.pdf`}>PDF</a></li>
          <li>公表文（お詫びとお知らせ）: <a href={`${base}/documents/public-notice.md`}>Markdown</a> / <a href={`${base}/documents/public-notice.pdf`}>PDF</a></li>
        </ul>
        <p class="hint">数字は当社の記録から算出した最新の影響範囲です。提出・公表の前に内容を確認し、必要に応じて編集してください。</p>
      </section>
      <section class="panel" aria-labelledby="timeline-h">
        <h2 id="timeline-h">経緯</h2>
        <table>
          <thead><tr><th>日付</th><th>出来事</th><th>メモ</th><th>記録者</th></tr></thead>
          <tbody>
            {view.events.map((e) => <tr><td>{e.on_date}</td><td>{TIMELINE_JA[e.kind]}</td><td class="pre">{e.note}</td><td>{e.created_by}</td></tr>)}
          </tbody>
        </table>
        <form method="post" action={`${base}/events`} novalidate>
          <Csrf c={c} />
          <FormError errors={ee} />
          <AdminField name="on" label="日付" type="date" value={props.form === 'event' ? props.values.on : ''} error={ee.on} required />
          <Select<TimelineKind> name="kind" label="出来事" options={TIMELINE_JA} value={props.form === 'event' ? (props.values.kind ?? 'other') : 'other'} error={ee.kind} />
          <AdminField name="note" label="メモ" value={props.form === 'event' ? props.values.note : ''} error={ee.note} maxLength={500} />
          <button type="submit" class="btn secondary">経緯に追加する</button>
        </form>
      </section>
      <section class="panel" aria-labelledby="facts-h">
        <h2 id="facts-h">事案の内容</h2>
        <form method="post" action={base} novalidate>
          <Csrf c={c} />
          <FormError errors={fe} />
          <AdminField name="title" label="件名" value={v('title', i.title)} error={fe.title} required maxLength={200} />
          <AdminField name="known_on" label="把握した日" type="date" value={v('known_on', i.known_on)} error={fe.known_on} required />
          <Select<KnownVia> name="known_via" label="把握した経緯" options={KNOWN_VIA_JA} value={v('known_via', i.known_via)} error={fe.known_via} />
          <TextArea name="known_detail" label="把握した内容" value={v('known_detail', i.known_detail)} error={fe.known_detail} />
          <fieldset>
            <legend>報告対象となる事態（施行規則第7条）</legend>
            <Check name="case_sensitive" label="1号 要配慮個人情報を含む" checked={props.form === 'facts' ? props.values.case_sensitive === 'on' : i.case_sensitive === 1} />
            <Check name="case_financial" label="2号 財産的被害のおそれ（クレジットカード情報など）" checked={props.form === 'facts' ? props.values.case_financial === 'on' : i.case_financial === 1} />
            <Check name="case_unlawful" label="3号 不正の目的によるおそれ（不正アクセス、入力フォームからの取得を含む）— 確報の期限は60日" checked={props.form === 'facts' ? props.values.case_unlawful === 'on' : i.case_unlawful === 1} />
            <Check name="case_over1000" label="4号 本人の数が1,000人を超える（影響範囲から自動判定もします）" checked={props.form === 'facts' ? props.values.case_over1000 === 'on' : i.case_over1000 === 1} />
          </fieldset>
          <fieldset>
            <legend>漏えいのおそれのある期間（日本時間の暦日、両端を含む）</legend>
            <AdminField name="card_from" label="クレジットカード情報: 開始日" type="date" value={v('card_from', i.card_from)} error={fe.card_from} />
            <AdminField name="card_to" label="クレジットカード情報: 終了日" type="date" value={v('card_to', i.card_to)} error={fe.card_to} />
            <AdminField name="personal_from" label="個人情報（注文者・会員・配送先）: 開始日" type="date" value={v('personal_from', i.personal_from)} error={fe.personal_from} />
            <AdminField name="personal_to" label="個人情報: 終了日" type="date" value={v('personal_to', i.personal_to)} error={fe.personal_to} />
          </fieldset>
          <TextArea name="cause" label="原因" value={v('cause', i.cause)} error={fe.cause} />
          <TextArea name="secondary_damage" label="二次被害又はそのおそれの有無及びその内容" value={v('secondary_damage', i.secondary_damage)} error={fe.secondary_damage} />
          <TextArea name="measures" label="再発防止のための措置" value={v('measures', i.measures)} error={fe.measures} />
          <Check name="card_reissue_free" label="カード再発行手数料をお客様の負担としないようカード会社に依頼済み" checked={props.form === 'facts' ? props.values.card_reissue_free === 'on' : i.card_reissue_free === 1} />
          <TextArea name="other_notes" label="その他参考となる事項" value={v('other_notes', i.other_notes)} error={fe.other_notes} />
          <button type="submit" class="btn">保存する</button>
        </form>
      </section>
    </>
  );
}
