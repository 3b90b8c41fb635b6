import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AlertTable } from '../alerts/tables.js';
import type { SwitchChange } from '../payments/killswitch.js';
import { inventoryStatus, scriptInventory, type InventoryStatus } from '../integrity/script-inventory.js';
import { formatInstantJa } from '../shared/time.js';
import { staticFile } from '../web/assets.js';
import { parseForm, text, type FieldErrors } from '../shared/validation.js';
import type { AuditLogTable } from './tables.js';
import type { VerifyResult } from './audit.js';
import { clientOf } from './auth-routes.js';
import { AdminField, Csrf, FormError, MessageView, Notice } from './auth-views.js';
import type { AdminCtx } from './layout.js';
import { ADMIN_COOKIE, adminCookieOptions, type AdminRouteModule } from './plugin.js';
import type { StaffIdentity } from './sessions.js';
import { StaffService, staffActor } from './staff-service.js';

const reasonField = () => text({ max: 500 });
const suspendSchema = z.object({ reason: reasonField() }).strict();
const resumeSchema = z.object({ reason: reasonField(), code: text({ max: 20 }) }).strict();
const emptySchema = z.object({}).strict();
const alertParams = z.object({ id: z.string().regex(/^alr_[0-9A-Z]{16}$/) });
const securityQuery = z.object({ done: z.enum(['resolved', 'suspended', 'resumed', 'unchanged', 'gone']).optional() });
const auditQuery = z.object({ before: z.string().regex(/^\d{1,12}$/).transform(Number).optional() });
export const AUDIT_PAGE_SIZE = 50;

const SEVERITY_LABELS: Record<string, string> = { critical: '重大', warning: '警告', info: '情報' };
const DONE_NOTICES: Record<string, string> = {
  resolved: 'アラートを対応済みにしました。',
  suspended: 'カード決済を停止しました。オーナー全員に通知しました。',
  resumed: 'カード決済を再開しました。オーナー全員に通知しました。',
  unchanged: '状態は変わっていません（記録は残しました）。',
  gone: 'このアラートは既に対応済みです。',
};

function prettyEvidence(evidence: string | null): string {
  if (!evidence) return '';
  try {
    return JSON.stringify(JSON.parse(evidence) as unknown, null, 2);
  } catch {
    return evidence;
  }
}

interface CardState {
  state: 'enabled' | 'suspended';
  since: string | null;
  reason: string | null;
  actor: string | null;
}

/** PCI DSS 6.4.3: the approved payment-page scripts, each with the live hash of its file. */
function ScriptInventoryPanel(props: { scripts: InventoryStatus[] }) {
  const bad = props.scripts.filter((s) => !s.matches).length;
  return (
    <section class="panel" aria-labelledby="inventory-h" data-script-inventory={bad === 0 ? 'ok' : 'mismatch'}>
      <h2 id="inventory-h">決済ページのスクリプト一覧（PCI DSS 6.4.3）</h2>
      <p class="hint">
        商品・カート・購入手続き・決済・完了ページが読み込むスクリプトの一覧です。承認済みのハッシュ（SHA-384）をページの integrity 属性に使うため、
        ファイルが書き換えられるとブラウザは実行しません。一覧にないスクリプトがあるとビルドが失敗します（<code>npm run build</code>）。
      </p>
      {bad > 0 ? <p class="tag danger" role="alert">承認済みのハッシュと一致しないファイルが {bad} 件あります。</p> : null}
      <table>
        <thead><tr><th>URL</th><th>目的・理由</th><th>使用ページ</th><th>承認</th><th>承認済み SHA-384</th><th>現在のファイル</th></tr></thead>
        <tbody>
          {props.scripts.map((s) => (
            <tr data-script={s.path} data-matches={s.matches ? 'yes' : 'no'}>
              <td><code>{s.path}</code><br /><span class="hint">{s.source}</span></td>
              <td><p>{s.purpose}</p><p class="hint">{s.justification}</p></td>
              <td>{s.pages.join('、')}</td>
              <td>{s.approvedBy}<br />{s.approvedAt}</td>
              <td><code class="hash">{s.sha384}</code></td>
              <td>
                {s.matches ? <span class="tag">一致</span> : <span class="tag danger">不一致</span>}
                <br /><code class="hash">{s.liveSha384 ?? '（ファイルなし）'}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function SecurityPage(props: { c: AdminCtx; alerts: AlertTable[]; card: CardState; history: SwitchChange[]; notice?: string | undefined; errors: FieldErrors; form?: 'suspend' | 'resume' | undefined; values: Record<string, string>; scripts: InventoryStatus[] }) {
  const { c, card } = props;
  const suspended = card.state === 'suspended';
  const errs = (f: 'suspend' | 'resume') => (props.form === f ? props.errors : {});
  return (
    <>
      {props.notice ? <Notice kind="success">{props.notice}</Notice> : null}
      <section class="panel" aria-labelledby="card-h">
        <h2 id="card-h">カード決済</h2>
        <p>
          状態: <strong class={suspended ? 'tag danger' : 'tag'}>{suspended ? '停止中' : '受付中'}</strong>
          {card.since ? <span class="hint">（{formatInstantJa(card.since)}・{card.actor}：{card.reason}）</span> : null}
        </p>
        {suspended ? (
          <form method="post" action={`${c.base}/security/card/resume`} novalidate>
            <Csrf c={c} />
            <FormError errors={errs('resume')} />
            <AdminField name="reason" label="再開の理由" value={props.form === 'resume' ? props.values.reason : ''} error={errs('resume').reason} required maxLength={500} hint="調査の結果など。記録とオーナーへの通知に使います。" />
            <AdminField name="code" label="認証アプリの確認コード" error={errs('resume').code} required autoComplete="one-time-code" inputMode="numeric" maxLength={20} hint="再開は重要な操作のため、本人確認として現在の6桁のコードを入力してください。" />
            <button type="submit" class="btn" data-confirm="カード決済を再開します。よろしいですか？">カード決済を再開する</button>
          </form>
        ) : (
          <form method="post" action={`${c.base}/security/card/suspend`} novalidate>
            <Csrf c={c} />
            <FormError errors={errs('suspend')} />
            <p class="hint">決済画面の改ざんやカードの不正利用が疑われるときは、すぐに停止してください。購入者には銀行振込など他の支払い方法が表示されます。</p>
            <AdminField name="reason" label="停止の理由" value={props.form === 'suspend' ? props.values.reason : ''} error={errs('suspend').reason} required maxLength={500} />
            <button type="submit" class="btn danger" data-confirm="カード決済を停止します。よろしいですか？">カード決済を停止する</button>
          </form>
        )}
        {props.history.length > 0 ? (
          <details>
            <summary>切り替えの記録</summary>
            <table>
              <thead><tr><th>日時</th><th>状態</th><th>操作者</th><th>理由</th></tr></thead>
              <tbody>
                {props.history.map((h) => <tr><td>{formatInstantJa(h.at)}</td><td>{h.state === 'suspended' ? '停止' : '再開'}</td><td>{h.actor}</td><td class="pre">{h.reason}</td></tr>)}
              </tbody>
            </table>
          </details>
        ) : null}
      </section>
      <p><a href={`${c.base}/security/monitor`}>外部監視（ヘッドレスブラウザ）の基準と最新の結果</a></p>
      <section class="panel" aria-labelledby="alerts-h">
        <h2 id="alerts-h">未対応のアラート（{props.alerts.length}件）</h2>
        {props.alerts.length === 0 ? <p>未対応のアラートはありません。</p> : (
          <table>
            <thead><tr><th>重要度</th><th>種類</th><th>初回</th><th>最終</th><th class="num">回数</th><th>内容</th><th>操作</th></tr></thead>
            <tbody>
              {props.alerts.map((a) => (
                <tr data-alert={a.id}>
                  <td><span class="tag">{SEVERITY_LABELS[a.severity] ?? a.severity}</span></td>
                  <td>{a.kind}</td>
                  <td>{formatInstantJa(a.first_seen_at)}</td>
                  <td>{formatInstantJa(a.last_seen_at)}</td>
                  <td class="num">{a.count}</td>
                  <td>
                    <p>{a.message}</p>
                    {a.evidence ? <details><summary>証跡</summary><pre>{prettyEvidence(a.evidence)}</pre></details> : null}
                  </td>
                  <td>
                    <form method="post" action={`${c.base}/security/alerts/${a.id}/resolve`}>
                      <Csrf c={c} />
                      <button type="submit" class="btn small secondary">対応済みにする</button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <ScriptInventoryPanel scripts={props.scripts} />
    </>
  );
}

/** The verification result in words, for the top of the audit page. */
export function verifyMessage(v: VerifyResult): string {
  if (v.ok) return `改ざんは検出されませんでした（${v.entries}件、最新のハッシュ ${v.lastHash.slice(0, 16)}…）。`;
  const what = v.problem === 'edited' ? `#${v.seq} の記録が書き換えられています` : v.problem === 'deleted_or_inserted' ? `#${v.seq} の記録がありません（削除または挿入）` : `#${v.seq} が直前の記録とつながっていません（削除・挿入・並べ替え）`;
  return `監査ログの改ざんを検出しました: ${what}。（${v.message}）`;
}

function AuditPage(props: { c: AdminCtx; verify: VerifyResult; rows: AuditLogTable[]; before: number | undefined }) {
  const { c, rows } = props;
  const oldest = rows[rows.length - 1];
  return (
    <>
      <div class={`alert ${props.verify.ok ? 'alert-success' : 'alert-error'}`} role={props.verify.ok ? 'status' : 'alert'} data-verify={props.verify.ok ? 'ok' : 'broken'}>
        {verifyMessage(props.verify)}
      </div>
      <p class="hint">各記録は直前の記録のハッシュを含みます。記録の書き換え・削除・挿入はここと <code>npx mamori audit verify</code> で検出できます。</p>
      {rows.length === 0 ? <p>記録はありません。</p> : (
        <table>
          <thead><tr><th class="num">#</th><th>日時</th><th>操作者</th><th>操作</th><th>対象</th><th>詳細</th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr>
                <td class="num">{r.seq}</td>
                <td>{formatInstantJa(r.at)}</td>
                <td>{r.actor}</td>
                <td>{r.action}</td>
                <td>{r.target ?? ''}</td>
                <td class="pre">{r.detail ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        {props.before !== undefined ? <a href={`${c.base}/audit`}>最新の記録へ</a> : null}
        {oldest && rows.length === AUDIT_PAGE_SIZE && oldest.seq > 1 ? <> <a href={`${c.base}/audit?before=${oldest.seq}`} rel="next">さらに古い記録 ›</a></> : null}
      </p>
    </>
  );
}

/** The security page (alerts, card kill switch) and the audit log: owners and security staff. */
export const securityRoutes: AdminRouteModule = (app, pages) => {
  const { services, base } = pages;
  const staffService = new StaffService(services);
  const ROLES = ['owner', 'security'] as const;

  const renderSecurity = async (
    req: FastifyRequest, reply: FastifyReply,
    o: { notice?: string; errors?: FieldErrors; form?: 'suspend' | 'resume'; values?: Record<string, string>; status?: number } = {},
  ) => {
    const [alerts, card, history] = await Promise.all([services.alerts.listOpen(200), services.killSwitch.state(), services.killSwitch.history(20)]);
    return pages.render(req, reply, 'セキュリティ', (c) => (
      <SecurityPage c={c} alerts={alerts} card={card} history={history} notice={o.notice} errors={o.errors ?? {}} form={o.form} values={o.values ?? {}} scripts={inventoryStatus(scriptInventory(), staticFile)} />
    ), o.status ?? 200);
  };

  app.get('/security', async (req, reply) => {
    if (!(await pages.require(req, reply, [...ROLES]))) return reply;
    const q = securityQuery.safeParse(req.query);
    const done = q.success ? q.data.done : undefined;
    return renderSecurity(req, reply, { notice: done ? DONE_NOTICES[done] : undefined });
  });

  app.post('/security/alerts/:id/resolve', async (req, reply) => {
    const me = await pages.require(req, reply, [...ROLES]);
    if (!me) return reply;
    const p = alertParams.safeParse(req.params);
    if (!p.success || !parseForm(emptySchema, req.body).ok) {
      return pages.render(req, reply, 'アラートが見つかりません', () => <MessageView><p>指定されたアラートは見つかりません。</p></MessageView>, 404);
    }
    const alert = await services.handle.db.selectFrom('alerts').select(['id', 'kind', 'severity']).where('id', '=', p.data.id).executeTakeFirst();
    if (!alert) return pages.render(req, reply, 'アラートが見つかりません', () => <MessageView><p>指定されたアラートは見つかりません。</p></MessageView>, 404);
    const resolved = await services.alerts.resolve(alert.id, staffActor(me.email));
    if (!resolved) return reply.redirect(`${base}/security?done=gone`, 303);
    await services.audit.append({ actor: staffActor(me.email), action: 'alert.resolve', target: alert.id, detail: { kind: alert.kind, severity: alert.severity } });
    return reply.redirect(`${base}/security?done=resolved`, 303);
  });

  const switchCard = async (me: StaffIdentity, state: 'enabled' | 'suspended', reason: string) => {
    const actor = staffActor(me.email);
    const r = await services.killSwitch.set(state, actor, reason);
    const shop = (await services.settings.get()).shop;
    const verb = state === 'suspended' ? '停止' : '再開';
    await services.handle.db.transaction().execute(async (trx) => {
      const entry = await services.audit.append({ actor, action: state === 'suspended' ? 'payments.card_suspend' : 'payments.card_resume', target: 'card_payments', detail: { reason, changed: r.changed } }, trx);
      await staffService.notifyOwners(trx, entry.id, `【${shop.name}】カード決済を${verb}しました`, [
        `${formatInstantJa(entry.at)} に、管理画面からカード決済を${verb}しました${r.changed ? '' : '（既にその状態でした）'}。`, '',
        `操作: ${actor}`, `理由: ${reason}`,
      ]);
    });
    return r.changed;
  };

  app.post('/security/card/suspend', async (req, reply) => {
    const me = await pages.require(req, reply, [...ROLES]);
    if (!me) return reply;
    const parsed = parseForm(suspendSchema, req.body);
    if (!parsed.ok) return renderSecurity(req, reply, { errors: parsed.errors, form: 'suspend', status: 422 });
    const changed = await switchCard(me, 'suspended', parsed.data.reason);
    return reply.redirect(`${base}/security?done=${changed ? 'suspended' : 'unchanged'}`, 303);
  });

  app.post('/security/card/resume', async (req, reply) => {
    const me = await pages.require(req, reply, [...ROLES]);
    if (!me) return reply;
    const parsed = parseForm(resumeSchema, req.body);
    const body = req.body as Record<string, unknown> | undefined;
    const values = { reason: typeof body?.reason === 'string' ? body.reason.slice(0, 500) : '' };
    if (!parsed.ok) return renderSecurity(req, reply, { errors: parsed.errors, form: 'resume', values, status: 422 });
    // Re-verification: a session alone (perhaps left open, perhaps stolen) cannot resume card payments.
    const check = await staffService.reverify(me.id, parsed.data.code, clientOf(req));
    if (check === 'locked') {
      reply.clearCookie(ADMIN_COOKIE, adminCookieOptions(services));
      return reply.redirect(`${base}/login`, 303);
    }
    if (check !== 'ok') return renderSecurity(req, reply, { errors: { code: '確認コードが正しくありません。認証アプリに表示されている現在のコードを入力してください。' }, form: 'resume', values, status: 422 });
    // And the shop itself must check out: files as signed, settings as audited, audit chain intact.
    const integrity = (await services.integrity?.reverify()) ?? { ok: true, problems: [] };
    if (!integrity.ok) {
      return renderSecurity(req, reply, { errors: { reason: `再検証で問題が見つかったため再開できません: ${integrity.problems.join(' / ').slice(0, 600)}` }, form: 'resume', values, status: 409 });
    }
    const changed = await switchCard(me, 'enabled', parsed.data.reason);
    return reply.redirect(`${base}/security?done=${changed ? 'resumed' : 'unchanged'}`, 303);
  });

  app.get('/audit', async (req, reply) => {
    if (!(await pages.require(req, reply, [...ROLES]))) return reply;
    const q = auditQuery.safeParse(req.query);
    if (!q.success) return pages.render(req, reply, '監査ログ', () => <MessageView><p>ページの指定が正しくありません。</p></MessageView>, 400);
    const [verify, rows] = await Promise.all([services.audit.verify(), services.audit.list(AUDIT_PAGE_SIZE, q.data.before)]);
    return pages.render(req, reply, '監査ログ', (c) => <AuditPage c={c} verify={verify} rows={rows} before={q.data.before} />);
  });
};
