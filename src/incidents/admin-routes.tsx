import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { MessageView } from '../admin/auth-views.js';
import type { AdminRouteModule } from '../admin/plugin.js';
import { staffActor } from '../admin/staff-service.js';
import { markdownPdf } from '../shared/pdf.js';
import { isIsoDate } from '../shared/time.js';
import { parseForm, text, type FieldErrors } from '../shared/validation.js';
import { IncidentListView, IncidentView } from './admin-views.js';
import { KNOWN_VIA_JA, TIMELINE_JA, type KnownVia, type TimelineKind } from './model.js';
import { NOTICE_TEMPLATE } from './notices/render.js';
import { placeholdersIn } from '../notify/template.js';
import { toCsv } from '../shared/csv.js';
import { readFile } from 'node:fs/promises';
import type { ScopeEntry } from './scope.js';

const date = () => text({ max: 10 }).refine(isIsoDate, '日付を正しく入力してください（例: 2024-07-17）。');
const optionalDate = () =>
  z.string().optional().transform((v) => (v ?? '').trim()).refine((v) => v === '' || isIsoDate(v), '日付を正しく入力してください（例: 2024-07-17）。').transform((v) => (v === '' ? null : v));
const longText = () => z.string().optional().transform((v) => (v ?? '').replace(/\r\n/g, '\n').trim()).pipe(text({ max: 4000, multiline: true, min: 0 }));
const checkbox = () => z.literal('on').optional().transform((v) => v === 'on');
const knownVia = () => z.enum(Object.keys(KNOWN_VIA_JA) as [KnownVia, ...KnownVia[]], { error: '選択肢から選んでください。' });

const createSchema = z.object({ title: text({ max: 200 }), known_on: date(), known_via: knownVia(), known_detail: longText() }).strict();

const window = (from: string, to: string) => (v: Record<string, unknown>, ctx: z.RefinementCtx) => {
  const a = v[from] as string | null;
  const b = v[to] as string | null;
  if ((a === null) !== (b === null)) ctx.addIssue({ code: 'custom', path: [a === null ? from : to], message: '開始日と終了日の両方を入力してください（期間がない場合は両方とも空欄）。' });
  else if (a !== null && b !== null && a > b) ctx.addIssue({ code: 'custom', path: [to], message: '終了日は開始日以降の日付にしてください。' });
};

const factsSchema = z
  .object({
    title: text({ max: 200 }), known_on: date(), known_via: knownVia(), known_detail: longText(),
    case_sensitive: checkbox(), case_financial: checkbox(), case_unlawful: checkbox(), case_over1000: checkbox(),
    card_from: optionalDate(), card_to: optionalDate(), personal_from: optionalDate(), personal_to: optionalDate(),
    cause: longText(), secondary_damage: longText(), measures: longText(), card_reissue_free: checkbox(), other_notes: longText(),
  })
  .strict()
  .superRefine(window('card_from', 'card_to'))
  .superRefine(window('personal_from', 'personal_to'));

const eventSchema = z
  .object({ on: date(), kind: z.enum(Object.keys(TIMELINE_JA) as [TimelineKind, ...TimelineKind[]], { error: '選択肢から選んでください。' }), note: longText().pipe(z.string().max(500, '500文字以内で入力してください。')) })
  .strict();

const idParams = z.object({ id: z.string().regex(/^inc_[0-9A-Z]{16}$/) });
const docParams = z
  .object({ id: z.string().regex(/^inc_[0-9A-Z]{16}$/), file: z.string().regex(/^(ppc-preliminary|ppc-final|public-notice)\.(md|pdf)$/) })
  .transform((v) => {
    const [doc, ext] = v.file.split('.') as ['ppc-preliminary' | 'ppc-final' | 'public-notice', 'md' | 'pdf'];
    return { id: v.id, doc, ext };
  });
const doneQuery = z.object({ done: z.enum(['created', 'saved', 'event', 'scoped', 'sent', 'letters', 'posted', 'template', 'noscope']).optional() });
const DONE: Record<string, string> = {
  created: 'インシデントを記録しました。', saved: '保存しました。', event: '経緯に追加しました。', scoped: '影響範囲を算出して保存しました。',
  sent: '通知を送信待ちにしました（メールは順次送信されます）。', letters: '書状を作成しました。', posted: '投函済みにしました。', template: '通知文のひな形を保存しました。',
  noscope: '先に影響範囲を算出してください。',
};
const batchParams = z.object({ id: z.string().regex(/^inc_[0-9A-Z]{16}$/), batch: z.string().regex(/^ilb_[0-9A-Z]{16}$/) });
const batchFileParams = batchParams.extend({ file: z.enum(['letters.pdf', 'mailing.csv']) });
const templateSchema = z.object({ notice_subject: text({ max: 200 }), notice_body: text({ max: 8000, multiline: true }) }).strict()
  .superRefine((v, ctx) => {
    const used = [...placeholdersIn(v.notice_subject), ...placeholdersIn(v.notice_body)];
    const unknown = used.filter((p) => !NOTICE_TEMPLATE.placeholders.includes(p));
    if (unknown.length) ctx.addIssue({ code: 'custom', path: ['notice_body'], message: `使えない差し込み項目があります: ${[...new Set(unknown)].map((p) => `{{${p}}}`).join(' ')}` });
    const missing = NOTICE_TEMPLATE.required.filter((p) => !used.includes(p));
    if (missing.length) ctx.addIssue({ code: 'custom', path: ['notice_body'], message: `必須の差し込み項目がありません: ${missing.map((p) => `{{${p}}}`).join(' ')}` });
    if (/https?:\/\/|www\./i.test(v.notice_body)) ctx.addIssue({ code: 'custom', path: ['notice_body'], message: 'リンクは入れないでください（フィッシングと区別できなくなります）。' });
  });
const DOC_TITLES: Record<string, string> = { 'ppc-preliminary': '個人データの漏えい等の報告（速報）', 'ppc-final': '個人データの漏えい等の報告（確報）', 'public-notice': 'お詫びとお知らせ' };

function strings(body: unknown): Record<string, string> {
  if (typeof body !== 'object' || body === null) return {};
  return Object.fromEntries(Object.entries(body as Record<string, unknown>).filter(([, v]) => typeof v === 'string').map(([k, v]) => [k, (v as string).slice(0, 4000)]));
}

/** Incidents: owners and security staff record what happened; deadlines, scope and drafts follow. */
export const incidentAdminRoutes: AdminRouteModule = (app, pages) => {
  const { services, base } = pages;
  const incidents = services.incidents;
  const ROLES = ['owner', 'security'] as const;

  const notFound = (req: FastifyRequest, reply: FastifyReply) =>
    pages.render(req, reply, 'インシデントが見つかりません', () => <MessageView><p>指定されたインシデントは見つかりません。</p></MessageView>, 404);

  const listPage = async (req: FastifyRequest, reply: FastifyReply, errors: FieldErrors = {}, values: Record<string, string> = {}, status = 200) => {
    const rows = await incidents.list();
    return pages.render(req, reply, 'インシデント', (c) => <IncidentListView c={c} rows={rows} errors={errors} values={values} />, status);
  };

  const detailPage = async (req: FastifyRequest, reply: FastifyReply, id: string, o: { notice?: string; errors?: FieldErrors; form?: 'facts' | 'event' | 'template'; values?: Record<string, string>; status?: number } = {}) => {
    const view = await incidents.get(id);
    if (!view) return notFound(req, reply);
    const [scope, snapshots, progress, batches] = await Promise.all([incidents.scope(id), services.scopeSnapshots.list(id), services.notices.progress(id), services.notices.batches(id)]);
    const latest = snapshots[0];
    const previous = snapshots[1];
    const [diff, byMonth] = await Promise.all([
      latest && previous ? services.scopeSnapshots.diff(id, previous.seq, latest.seq) : Promise.resolve(null),
      latest ? services.scopeSnapshots.byMonth(latest.id) : Promise.resolve([]),
    ]);
    return pages.render(req, reply, `インシデント ${view.incident.number}`, (c) => (
      <IncidentView c={c} view={view} scope={scope} scopes={{ snapshots, diff, byMonth }} notices={{ progress, batches }} notice={o.notice} errors={o.errors ?? {}} form={o.form} values={o.values ?? {}} />
    ), o.status ?? 200);
  };

  app.get('/incidents', async (req, reply) => {
    if (!(await pages.require(req, reply, [...ROLES]))) return reply;
    return listPage(req, reply);
  });

  app.post('/incidents', async (req, reply) => {
    const me = await pages.require(req, reply, [...ROLES]);
    if (!me) return reply;
    const parsed = parseForm(createSchema, req.body);
    if (!parsed.ok) return listPage(req, reply, parsed.errors, strings(req.body), 422);
    const d = parsed.data;
    const row = await incidents.create({ title: d.title, knownOn: d.known_on, knownVia: d.known_via, knownDetail: d.known_detail }, staffActor(me.email));
    return reply.redirect(`${base}/incidents/${row.id}?done=created`, 303);
  });

  app.get('/incidents/:id', async (req, reply) => {
    if (!(await pages.require(req, reply, [...ROLES]))) return reply;
    const p = idParams.safeParse(req.params);
    if (!p.success) return notFound(req, reply);
    const q = doneQuery.safeParse(req.query);
    return detailPage(req, reply, p.data.id, { notice: q.success && q.data.done ? DONE[q.data.done] : undefined });
  });

  app.post('/incidents/:id', async (req, reply) => {
    const me = await pages.require(req, reply, [...ROLES]);
    if (!me) return reply;
    const p = idParams.safeParse(req.params);
    if (!p.success) return notFound(req, reply);
    const parsed = parseForm(factsSchema, req.body);
    if (!parsed.ok) return detailPage(req, reply, p.data.id, { errors: parsed.errors, form: 'facts', values: strings(req.body), status: 422 });
    const d = parsed.data;
    const ok = await incidents.update(p.data.id, {
      title: d.title, knownOn: d.known_on, knownVia: d.known_via, knownDetail: d.known_detail, cause: d.cause,
      caseSensitive: d.case_sensitive, caseFinancial: d.case_financial, caseUnlawful: d.case_unlawful, caseOver1000: d.case_over1000,
      cardFrom: d.card_from, cardTo: d.card_to, personalFrom: d.personal_from, personalTo: d.personal_to,
      secondaryDamage: d.secondary_damage, measures: d.measures, cardReissueFree: d.card_reissue_free, otherNotes: d.other_notes,
    }, staffActor(me.email));
    if (!ok) return notFound(req, reply);
    return reply.redirect(`${base}/incidents/${p.data.id}?done=saved`, 303);
  });

  app.post('/incidents/:id/events', async (req, reply) => {
    const me = await pages.require(req, reply, [...ROLES]);
    if (!me) return reply;
    const p = idParams.safeParse(req.params);
    if (!p.success) return notFound(req, reply);
    const parsed = parseForm(eventSchema, req.body);
    if (!parsed.ok) return detailPage(req, reply, p.data.id, { errors: parsed.errors, form: 'event', values: strings(req.body), status: 422 });
    const ok = await incidents.addEvent(p.data.id, { on: parsed.data.on, kind: parsed.data.kind, note: parsed.data.note }, staffActor(me.email));
    if (!ok) return notFound(req, reply);
    return reply.redirect(`${base}/incidents/${p.data.id}?done=event`, 303);
  });

  app.get('/incidents/:id/documents/:file', async (req, reply) => {
    if (!(await pages.require(req, reply, [...ROLES]))) return reply;
    const p = docParams.safeParse(req.params);
    if (!p.success) return notFound(req, reply);
    const draft = p.data.doc === 'public-notice'
      ? await incidents.publicNotice(p.data.id)
      : await incidents.ppcReport(p.data.id, p.data.doc === 'ppc-final' ? 'final' : 'preliminary');
    if (!draft) return notFound(req, reply);
    const filename = `${draft.number}-${p.data.doc}.${p.data.ext}`;
    reply.header('content-disposition', `attachment; filename="${filename}"`);
    if (p.data.ext === 'md') return reply.type('text/markdown; charset=utf-8').send(draft.markdown);
    const pdf = await markdownPdf(draft.markdown, { title: `${DOC_TITLES[p.data.doc]} ${draft.number}` });
    return reply.type('application/pdf').send(pdf);
  });

  const withIncident = async (req: FastifyRequest, reply: FastifyReply, fn: (id: string, actor: string) => Promise<unknown>) => {
    const me = await pages.require(req, reply, [...ROLES]);
    if (!me) return reply;
    const p = idParams.safeParse(req.params);
    if (!p.success || !parseForm(z.object({}).strict(), req.body).ok) return notFound(req, reply);
    if (!(await incidents.get(p.data.id))) return notFound(req, reply);
    const done = await fn(p.data.id, staffActor(me.email));
    return reply.redirect(`${base}/incidents/${p.data.id}?done=${String(done)}`, 303);
  };

  app.post('/incidents/:id/scope', (req, reply) => withIncident(req, reply, async (id, actor) => {
    await services.scopeSnapshots.take(id, actor);
    return 'scoped';
  }));

  app.post('/incidents/:id/notices/send', (req, reply) => withIncident(req, reply, async (id, actor) => ((await services.notices.send(id, actor)) ? 'sent' : 'noscope')));

  app.post('/incidents/:id/letters', (req, reply) => withIncident(req, reply, async (id, actor) => {
    await services.notices.generateLetters(id, actor);
    return 'letters';
  }));

  app.post('/incidents/:id/letters/:batch/posted', async (req, reply) => {
    const me = await pages.require(req, reply, [...ROLES]);
    if (!me) return reply;
    const p = batchParams.safeParse(req.params);
    if (!p.success || !parseForm(z.object({}).strict(), req.body).ok) return notFound(req, reply);
    await services.notices.markPosted(p.data.id, p.data.batch, staffActor(me.email));
    return reply.redirect(`${base}/incidents/${p.data.id}?done=posted`, 303);
  });

  app.get('/incidents/:id/letters/:batch/:file', async (req, reply) => {
    const me = await pages.require(req, reply, [...ROLES]);
    if (!me) return reply;
    const p = batchFileParams.safeParse(req.params);
    if (!p.success) return notFound(req, reply);
    const b = await services.notices.batch(p.data.id, p.data.batch);
    if (!b) return notFound(req, reply);
    const isPdf = p.data.file === 'letters.pdf';
    const body = await readFile(isPdf ? b.file : b.file.replace(/\.pdf$/, '.csv'));
    await services.audit.append({ actor: staffActor(me.email), action: 'incident.letters_download', target: p.data.id, detail: { batch: b.seq, file: p.data.file, letters: b.letters } });
    reply.header('content-disposition', `attachment; filename="letters-${b.seq}.${isPdf ? 'pdf' : 'csv'}"`);
    return reply.type(isPdf ? 'application/pdf' : 'text/csv; charset=utf-8').send(body);
  });

  app.post('/incidents/:id/template', async (req, reply) => {
    const me = await pages.require(req, reply, [...ROLES]);
    if (!me) return reply;
    const p = idParams.safeParse(req.params);
    if (!p.success) return notFound(req, reply);
    const parsed = parseForm(templateSchema, req.body);
    if (!parsed.ok) return detailPage(req, reply, p.data.id, { errors: parsed.errors, form: 'template', values: strings(req.body), status: 422 });
    if (!(await incidents.setTemplate(p.data.id, parsed.data.notice_subject, parsed.data.notice_body, staffActor(me.email)))) return notFound(req, reply);
    return reply.redirect(`${base}/incidents/${p.data.id}?done=template`, 303);
  });

  // For the card companies' monitoring: every card payment attempt in scope, never a card number.
  app.get('/incidents/:id/documents/card-payments.csv', async (req, reply) => {
    const me = await pages.require(req, reply, [...ROLES]);
    if (!me) return reply;
    const p = idParams.safeParse(req.params);
    if (!p.success) return notFound(req, reply);
    const latest = await services.scopeSnapshots.latest(p.data.id);
    const view = await incidents.get(p.data.id);
    if (!latest || !view) return notFound(req, reply);
    const rows: (string | number | null)[][] = [];
    for await (const page of services.scopeSnapshots.entries(latest.id)) {
      for (const e of page as ScopeEntry[]) for (const a of e.card) rows.push([a.providerRef, a.brand, a.last4, a.date, a.amountYen, a.status, a.orderId]);
    }
    rows.sort((a, b) => String(a[3]).localeCompare(String(b[3])));
    await services.audit.append({ actor: staffActor(me.email), action: 'incident.card_csv', target: p.data.id, detail: { snapshot: latest.seq, rows: rows.length } });
    reply.header('content-disposition', `attachment; filename="${view.incident.number}-card-payments.csv"`);
    return reply.type('text/csv; charset=utf-8').send(toCsv(['決済代行会社の決済ID', 'ブランド', 'カード番号下4桁', '決済日', '金額（円）', '状態', '注文番号'], rows));
  });
};
