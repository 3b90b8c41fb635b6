import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { stepLabel, type Difference } from '../integrity/monitor/compare.js';
import type { Observation } from '../integrity/monitor/observation.js';
import { ApprovalRefused, type MonitorStatus } from '../integrity/monitor/service.js';
import type { MonitorRunTable } from '../integrity/tables.js';
import { formatInstantJa } from '../shared/time.js';
import { parseForm, text, type FieldErrors } from '../shared/validation.js';
import { clientOf } from './auth-routes.js';
import { AdminField, Csrf, FormError, Notice } from './auth-views.js';
import type { AdminCtx } from './layout.js';
import { ADMIN_COOKIE, adminCookieOptions, type AdminRouteModule } from './plugin.js';
import { StaffService, staffActor } from './staff-service.js';

const ROLES = ['owner', 'security'] as const;
const approveSchema = z.object({ run_id: z.string().regex(/^mrn_[0-9A-Z]{16}$/, '承認する監視結果を選んでください。'), reason: text({ max: 500 }), code: text({ max: 20 }) }).strict();
const monitorQuery = z.object({ done: z.literal('approved').optional() });

const OUTCOME_LABELS: Record<MonitorRunTable['outcome'], string> = {
  clean: '差分なし', differences: '差分あり（アラート）', no_baseline: '基準未承認', failed: '途中で停止',
};
const SEVERITY_LABELS: Record<string, string> = { critical: '重大', warning: '警告', info: '情報' };

function ObservationSummary(props: { o: Observation }) {
  const { o } = props;
  return (
    <table>
      <thead><tr><th>段階</th><th>ページ</th><th class="num">スクリプト</th><th class="num">フォーム</th><th class="num">入力欄</th><th>通信先</th></tr></thead>
      <tbody>
        {o.steps.map((s) => (
          <tr>
            <td>{stepLabel(s.step)}</td>
            <td>{s.origin}{s.path}</td>
            <td class="num">{s.scripts.length}</td>
            <td class="num">{s.forms.length}</td>
            <td class="num">{s.inputs.length}</td>
            <td>{s.requestOrigins.join(' ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Differences(props: { list: Difference[] }) {
  if (props.list.length === 0) return <p data-diff="none">承認済みの基準との差分はありません。</p>;
  return (
    <ul class="diff-list" data-diff="some">
      {props.list.map((d) => (
        <li>
          <span class="tag">{SEVERITY_LABELS[d.severity] ?? d.severity}</span> <strong>{d.kind}</strong>（{stepLabel(d.step)}）: {d.message}
          <pre>{d.diff.join('\n')}</pre>
        </li>
      ))}
    </ul>
  );
}

function MonitorPage(props: { c: AdminCtx; status: MonitorStatus; refusal: string | null; notice?: string | undefined; errors: FieldErrors; values: Record<string, string> }) {
  const { c, status } = props;
  const { baseline, candidate } = status;
  const last = status.runs[0];
  return (
    <>
      {props.notice ? <Notice kind="success">{props.notice}</Notice> : null}
      <p><a href={`${c.base}/security`}>‹ セキュリティ</a></p>
      <section class="panel" aria-labelledby="mon-h">
        <h2 id="mon-h">外部監視（ヘッドレスブラウザ）</h2>
        <p class="hint">購入者と同じ流れ（商品 → カート → ご購入手続き → 確認 → 決済代行会社のページ）を定期的にたどり、スクリプト・フォームの送信先・入力欄・通信先・移動先・セキュリティヘッダーを承認済みの基準と比べます。カードの支払いは行いません。</p>
        {baseline ? (
          <p data-baseline="approved">承認済みの基準: {formatInstantJa(baseline.approved_at)}・{baseline.approved_by}（{baseline.reason}）・決済代行会社 {baseline.observation.providerOrigin ?? '—'}</p>
        ) : (
          <div class="alert alert-error" role="alert" data-baseline="none">基準が承認されていません（no baseline approved）。承認されるまで、差分はアラートになりません（ショップのページのカード入力欄だけは常にアラートになります）。</div>
        )}
        <p>最新の監視: {last ? `${formatInstantJa(last.received_at)}・${OUTCOME_LABELS[last.outcome]}${last.error ? `（${last.error}）` : ''}` : 'まだ報告がありません。監視（npx mamori monitor）が動いているか確認してください。'}</p>
      </section>
      {candidate ? (
        <section class="panel" aria-labelledby="cand-h">
          <h2 id="cand-h">{baseline ? '最新の監視結果と基準の差分' : '基準の候補（最新の監視結果）'}</h2>
          <p class="hint">{formatInstantJa(candidate.run.received_at)} の監視結果（{candidate.run.id}）</p>
          <ObservationSummary o={candidate.observation} />
          {baseline ? <Differences list={candidate.differences} /> : null}
          {props.refusal ? <p class="field-error">{props.refusal}</p> : (
            <form method="post" action={`${c.base}/security/monitor/approve`} novalidate>
              <Csrf c={c} />
              <input type="hidden" name="run_id" value={candidate.run.id} />
              <FormError errors={props.errors} />
              <AdminField name="reason" label="承認の理由" value={props.values.reason ?? ''} error={props.errors.reason} required maxLength={500} hint="例: 決済ページのスクリプト更新（リリース 2025-06-01）を確認済み。監査ログに残ります。" />
              <AdminField name="code" label="認証アプリの確認コード" error={props.errors.code} required autoComplete="one-time-code" inputMode="numeric" maxLength={20} hint="基準の承認は重要な操作のため、現在の6桁のコードを入力してください。" />
              <button type="submit" class="btn" data-confirm="この監視結果を新しい基準として承認します。よろしいですか？">この結果を基準として承認する</button>
            </form>
          )}
        </section>
      ) : null}
      {status.runs.length ? (
        <section class="panel" aria-labelledby="runs-h">
          <h2 id="runs-h">最近の監視</h2>
          <table>
            <thead><tr><th>受信</th><th>結果</th><th class="num">差分</th><th>送信元</th></tr></thead>
            <tbody>
              {status.runs.map((r) => (
                <tr>
                  <td>{formatInstantJa(r.received_at)}</td>
                  <td>{OUTCOME_LABELS[r.outcome]}{r.error ? `（${r.error}）` : ''}</td>
                  <td class="num">{(JSON.parse(r.differences) as unknown[]).length}</td>
                  <td>{r.source_ip}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </>
  );
}

/** The external monitor's page: its baseline, its latest findings, and the audited approval. */
export const monitorAdminRoutes: AdminRouteModule = (app, pages) => {
  const { services, base } = pages;
  const staffService = new StaffService(services);

  const render = async (req: FastifyRequest, reply: FastifyReply, o: { notice?: string; errors?: FieldErrors; values?: Record<string, string>; status?: number } = {}) => {
    const status = await services.monitor.status();
    const refusal = status.candidate ? services.monitor.refusal(status.candidate.run) : null;
    return pages.render(req, reply, '外部監視', (c) => <MonitorPage c={c} status={status} refusal={refusal} notice={o.notice} errors={o.errors ?? {}} values={o.values ?? {}} />, o.status ?? 200);
  };

  app.get('/security/monitor', async (req, reply) => {
    if (!(await pages.require(req, reply, [...ROLES]))) return reply;
    const q = monitorQuery.safeParse(req.query);
    return render(req, reply, { notice: q.success && q.data.done ? '監視結果を基準として承認しました（監査ログに記録しました）。' : undefined });
  });

  app.post('/security/monitor/approve', async (req, reply) => {
    const me = await pages.require(req, reply, [...ROLES]);
    if (!me) return reply;
    const body = req.body as Record<string, unknown> | undefined;
    const values = { reason: typeof body?.reason === 'string' ? body.reason.slice(0, 500) : '' };
    const parsed = parseForm(approveSchema, req.body);
    if (!parsed.ok) return render(req, reply, { errors: parsed.errors, values, status: 422 });
    // A session alone (perhaps left open, perhaps stolen) cannot bless a skimmer as the new normal.
    const check = await staffService.reverify(me.id, parsed.data.code, clientOf(req));
    if (check === 'locked') {
      reply.clearCookie(ADMIN_COOKIE, adminCookieOptions(services));
      return reply.redirect(`${base}/login`, 303);
    }
    if (check !== 'ok') return render(req, reply, { errors: { code: '確認コードが正しくありません。認証アプリに表示されている現在のコードを入力してください。' }, values, status: 422 });
    try {
      await services.monitor.approve(parsed.data.run_id, staffActor(me.email), parsed.data.reason);
    } catch (err) {
      if (err instanceof ApprovalRefused) return render(req, reply, { errors: { run_id: err.message }, values, status: 409 });
      throw err;
    }
    return reply.redirect(`${base}/security/monitor?done=approved`, 303);
  });
};
