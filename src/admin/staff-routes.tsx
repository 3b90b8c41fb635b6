import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { formatInstantJa } from '../shared/time.js';
import { field, parseForm, type FieldErrors } from '../shared/validation.js';
import { AdminField, Csrf, FormError, MessageView, Notice } from './auth-views.js';
import { ROLE_LABELS, type AdminCtx } from './layout.js';
import type { AdminRouteModule } from './plugin.js';
import type { StaffIdentity } from './sessions.js';
import { STAFF_ROLES, StaffService, staffActor, type StaffListRow } from './staff-service.js';
import type { StaffLoginTable, StaffRole } from './tables.js';

const roleField = z.enum(['owner', 'staff', 'security'], { error: '権限を選択してください。' });
const inviteSchema = z.object({ email: field.email(), name: field.name(), role: roleField }).strict();
const roleSchema = z.object({ role: roleField }).strict();
const emptySchema = z.object({}).strict();
const idParams = z.object({ id: z.string().regex(/^stf_[0-9A-Z]{16}$/) });
const listQuery = z.object({ done: z.enum(['role', 'disabled', 'enabled']).optional() });

const STATUS_LABELS: Record<string, string> = { invited: '設定待ち', active: '有効', disabled: '無効' };
const DONE_NOTICES: Record<string, string> = { role: '権限を変更しました。', disabled: 'スタッフを無効にしました。ログイン中のセッションは終了しました。', enabled: 'スタッフを有効にしました。' };

/** What a login-history outcome means, in words. */
export function outcomeLabel(outcome: string): string {
  const kind = outcome.split(':')[0] ?? outcome;
  const labels: Record<string, string> = {
    password_ok: 'パスワード確認（成功）',
    password_bad: 'パスワード誤り',
    unknown_email: '未登録のメールアドレス',
    inactive: 'ログインできない状態のアカウント',
    locked: 'ロック中の試行',
    lockout: 'アカウントをロック',
    totp_ok: 'ログイン成功（認証アプリ）',
    totp_bad: '確認コード誤り',
    totp_replay: '使用済みの確認コード',
    recovery_used: 'ログイン成功（リカバリーコード）',
    recovery_bad: 'リカバリーコード誤り',
    enrol_ok: '2要素認証を設定',
    enrol_bad: '2要素認証の設定でコード誤り',
    reverify_ok: '再認証（成功）',
    reverify_bad: '再認証の失敗',
    logout: 'ログアウト',
  };
  return labels[kind] ?? outcome;
}

function StaffList(props: { c: AdminCtx; me: StaffIdentity; rows: StaffListRow[]; errors: FieldErrors; notice?: string | undefined; invited?: { email: string; link: string; label: string } | undefined; values: Record<string, string> }) {
  const { c, me } = props;
  return (
    <>
      {props.notice ? <Notice kind="success">{props.notice}</Notice> : null}
      {props.invited ? (
        <div class="panel">
          <Notice kind="success">{props.invited.label}</Notice>
          <p>{props.invited.email} 宛てに設定リンクをメールで送りました。メールが届かない場合は、次のリンクを本人に安全な方法で伝えてください（24時間有効・1回限り。この画面を閉じると再表示できません）。</p>
          <p><code class="pre setup-link">{props.invited.link}</code></p>
        </div>
      ) : null}
      <FormError errors={props.errors} />
      <div class="panel">
      <table>
        <thead>
          <tr><th>名前</th><th>メールアドレス</th><th>権限</th><th>状態</th><th>2要素認証</th><th>最終ログイン</th><th>操作</th></tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr data-staff={r.id}>
              <td>{r.name}{r.id === me.id ? <span class="tag">あなた</span> : null}</td>
              <td>{r.email}</td>
              <td>{ROLE_LABELS[r.role]}</td>
              <td>{STATUS_LABELS[r.status] ?? r.status}{r.lockedUntil ? <span class="tag">ロック中（{formatInstantJa(r.lockedUntil)}まで）</span> : null}</td>
              <td>{r.mfaEnrolled ? '設定済み' : '未設定'}</td>
              <td>{r.lastLoginAt ? formatInstantJa(r.lastLoginAt) : '—'}</td>
              <td>
                <a href={`${c.base}/staff/${r.id}/logins`}>ログイン履歴</a>
                {r.id === me.id ? null : (
                  <>
                    <form method="post" action={`${c.base}/staff/${r.id}/role`} class="filters">
                      <Csrf c={c} />
                      <label class="hint" for={`role-${r.id}`}>権限</label>
                      <select id={`role-${r.id}`} name="role">
                        {STAFF_ROLES.map((role) => <option value={role} selected={role === r.role}>{ROLE_LABELS[role]}</option>)}
                      </select>
                      <button type="submit" class="btn small secondary">変更</button>
                    </form>
                    <form method="post" action={`${c.base}/staff/${r.id}/${r.status === 'disabled' ? 'enable' : 'disable'}`}>
                      <Csrf c={c} />
                      {r.status === 'disabled' ? (
                        <button type="submit" class="btn small secondary">有効にする</button>
                      ) : (
                        <button type="submit" class="btn small danger" data-confirm={`${r.email} を無効にします。ログイン中のセッションも終了します。よろしいですか？`}>無効にする</button>
                      )}
                    </form>
                    {r.status === 'disabled' ? null : (
                      <form method="post" action={`${c.base}/staff/${r.id}/reset-2fa`}>
                        <Csrf c={c} />
                        <button type="submit" class="btn small secondary" data-confirm={`${r.email} の2要素認証とパスワードをリセットし、新しい設定リンクを発行します。よろしいですか？`}>
                          {r.mfaEnrolled ? '2要素認証をリセット' : '設定リンクを再発行'}
                        </button>
                      </form>
                    )}
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
      <div class="panel">
        <h2>スタッフを招待する</h2>
        <p class="hint">招待したスタッフには設定リンクをメールで送ります。本人がパスワードと2要素認証を設定するまでログインできません。オーナー全員に通知メールが届きます。</p>
        <form method="post" action={`${c.base}/staff/invite`} novalidate>
          <Csrf c={c} />
          <AdminField name="email" label="メールアドレス" type="email" value={props.values.email} error={props.errors.email} required maxLength={254} />
          <AdminField name="name" label="名前" value={props.values.name} error={props.errors.name} required maxLength={60} />
          <div class="field">
            <label for="f-role">権限</label>
            <select id="f-role" name="role">
              {STAFF_ROLES.map((role) => <option value={role} selected={role === (props.values.role ?? 'staff')}>{ROLE_LABELS[role]}</option>)}
            </select>
            {props.errors.role ? <p class="field-error">{props.errors.role}</p> : null}
            <p class="hint">オーナー: すべての操作 ／ スタッフ: 注文・商品・顧客 ／ セキュリティ担当: アラート・改ざん検知・インシデント・監査ログ</p>
          </div>
          <button type="submit" class="btn">招待する</button>
        </form>
      </div>
    </>
  );
}

function LoginHistory(props: { c: AdminCtx; rows: StaffLoginTable[]; backToList: boolean }) {
  return (
    <>
      {props.backToList ? <p><a href={`${props.c.base}/staff`}>← スタッフ一覧</a></p> : null}
      {props.rows.length === 0 ? <p>記録はありません。</p> : (
        <table>
          <thead><tr><th>日時</th><th>結果</th><th>IPアドレス</th><th>ブラウザ（User-Agent）</th></tr></thead>
          <tbody>
            {props.rows.map((r) => (
              <tr><td>{formatInstantJa(r.at)}</td><td>{outcomeLabel(r.outcome)}</td><td>{r.ip}</td><td class="pre">{r.user_agent}</td></tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function formValues(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof body !== 'object' || body === null) return out;
  for (const k of ['email', 'name', 'role']) {
    const v = (body as Record<string, unknown>)[k];
    if (typeof v === 'string') out[k] = v.slice(0, 254);
  }
  return out;
}

/** Staff management (owners only): list, invite, role, disable/enable, 2FA reset, login history. */
export const staffRoutes: AdminRouteModule = (app, pages) => {
  const staffService = new StaffService(pages.services);

  const renderList = async (
    req: FastifyRequest, reply: FastifyReply, me: StaffIdentity,
    o: { errors?: FieldErrors; notice?: string; invited?: { email: string; link: string; label: string }; values?: Record<string, string>; status?: number } = {},
  ) => {
    const rows = await staffService.list();
    return pages.render(req, reply, 'スタッフ', (c) => (
      <StaffList c={c} me={me} rows={rows} errors={o.errors ?? {}} notice={o.notice} invited={o.invited} values={o.values ?? {}} />
    ), o.status ?? 200);
  };
  const notFoundPage = (req: FastifyRequest, reply: FastifyReply) =>
    pages.render(req, reply, 'スタッフが見つかりません', () => <MessageView><p>指定されたスタッフは見つかりません。</p></MessageView>, 404);

  /** The owner and the target staff member of a row action, or null after answering. */
  const target = async (req: FastifyRequest, reply: FastifyReply) => {
    const me = await pages.require(req, reply, ['owner']);
    if (!me) return null;
    const p = idParams.safeParse(req.params);
    const t = p.success ? await staffService.getById(p.data.id) : undefined;
    if (!t) {
      await notFoundPage(req, reply);
      return null;
    }
    if (t.id === me.id) {
      await renderList(req, reply, me, { errors: { _form: '自分自身の権限や状態はここでは変更できません。別のオーナーに依頼してください。' }, status: 422 });
      return null;
    }
    return { me, t };
  };

  /** True (after answering) when the change would leave the shop without an active owner. */
  const wouldRemoveLastOwner = async (req: FastifyRequest, reply: FastifyReply, me: StaffIdentity, t: { role: StaffRole; status: string }) => {
    if (t.role !== 'owner' || t.status !== 'active' || (await staffService.activeOwnerCount()) > 1) return false;
    await renderList(req, reply, me, { errors: { _form: '有効なオーナーが1人もいなくなるため、この変更はできません。' }, status: 422 });
    return true;
  };

  app.get('/staff', async (req, reply) => {
    const me = await pages.require(req, reply, ['owner']);
    if (!me) return reply;
    const q = listQuery.safeParse(req.query);
    const done = q.success ? q.data.done : undefined;
    return renderList(req, reply, me, { notice: done ? DONE_NOTICES[done] : undefined });
  });

  app.post('/staff/invite', async (req, reply) => {
    const me = await pages.require(req, reply, ['owner']);
    if (!me) return reply;
    const parsed = parseForm(inviteSchema, req.body);
    if (!parsed.ok) return renderList(req, reply, me, { errors: parsed.errors, values: formValues(req.body), status: 422 });
    const r = await staffService.invite(parsed.data, staffActor(me.email), { mailInvitee: true });
    if (!r.ok) return renderList(req, reply, me, { errors: { email: 'このメールアドレスのスタッフは既に登録されています。' }, values: formValues(req.body), status: 422 });
    return renderList(req, reply, me, { invited: { email: parsed.data.email, link: r.link, label: `${parsed.data.name} さんを${ROLE_LABELS[parsed.data.role]}として招待しました。` } });
  });

  app.post('/staff/:id/role', async (req, reply) => {
    const ctx = await target(req, reply);
    if (!ctx) return reply;
    const parsed = parseForm(roleSchema, req.body);
    if (!parsed.ok) return renderList(req, reply, ctx.me, { errors: { _form: parsed.errors.role ?? parsed.errors._form ?? '入力内容が正しくありません。' }, status: 422 });
    if (parsed.data.role !== 'owner' && (await wouldRemoveLastOwner(req, reply, ctx.me, ctx.t))) return reply;
    await staffService.changeRole(ctx.t, parsed.data.role, staffActor(ctx.me.email));
    return reply.redirect(`${pages.base}/staff?done=role`, 303);
  });

  for (const action of ['disable', 'enable'] as const) {
    app.post(`/staff/:id/${action}`, async (req, reply) => {
      const ctx = await target(req, reply);
      if (!ctx) return reply;
      const parsed = parseForm(emptySchema, req.body);
      if (!parsed.ok) return renderList(req, reply, ctx.me, { errors: parsed.errors, status: 422 });
      if (action === 'disable' && (await wouldRemoveLastOwner(req, reply, ctx.me, ctx.t))) return reply;
      await staffService.setDisabled(ctx.t, action === 'disable', staffActor(ctx.me.email));
      return reply.redirect(`${pages.base}/staff?done=${action}d`, 303);
    });
  }

  app.post('/staff/:id/reset-2fa', async (req, reply) => {
    const ctx = await target(req, reply);
    if (!ctx) return reply;
    const parsed = parseForm(emptySchema, req.body);
    if (!parsed.ok) return renderList(req, reply, ctx.me, { errors: parsed.errors, status: 422 });
    if (ctx.t.status === 'disabled') return renderList(req, reply, ctx.me, { errors: { _form: '無効なスタッフはリセットできません。先に有効にしてください。' }, status: 422 });
    if (await wouldRemoveLastOwner(req, reply, ctx.me, ctx.t)) return reply;
    const r = await staffService.resetSecondFactor(ctx.t, staffActor(ctx.me.email), { mailStaff: true });
    const label = r.action === 'staff.2fa_reset' ? `${ctx.t.name} さんの2要素認証をリセットしました。新しい設定リンクで再設定するまでログインできません。` : `${ctx.t.name} さんの設定リンクを再発行しました。以前のリンクは使えません。`;
    return renderList(req, reply, ctx.me, { invited: { email: ctx.t.email, link: r.link, label } });
  });

  app.get('/staff/:id/logins', async (req, reply) => {
    const me = await pages.require(req, reply, ['owner']);
    if (!me) return reply;
    const p = idParams.safeParse(req.params);
    const t = p.success ? await staffService.getById(p.data.id) : undefined;
    if (!t) return notFoundPage(req, reply);
    const rows = await staffService.loginHistory(t.id);
    return pages.render(req, reply, `ログイン履歴: ${t.name}（${t.email}）`, (c) => <LoginHistory c={c} rows={rows} backToList />);
  });

  // Every staff member can see their own login history (and notice a login that was not theirs).
  app.get('/staff/logins', async (req, reply) => {
    const me = await pages.require(req, reply, ['owner', 'staff', 'security']);
    if (!me) return reply;
    const rows = await staffService.loginHistory(me.id);
    return pages.render(req, reply, 'あなたのログイン履歴', (c) => <LoginHistory c={c} rows={rows} backToList={false} />);
  });
};
