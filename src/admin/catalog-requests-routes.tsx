import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { staffCatalogRequestSchema } from '../catalog-requests/form.js';
import { consentText, LABEL_CSV_HEADER, labelCsvRow, type CatalogRequestFilter } from '../catalog-requests/service.js';
import { toCsv } from '../shared/csv.js';
import { jstDate } from '../shared/time.js';
import { optionalQueryValue, parseForm, text } from '../shared/validation.js';
import { emptyForm } from './catalog-views.js';
import { CatalogRequestEntryPage, CatalogRequestsPage, type ListValues } from './catalog-requests-views.js';
import type { AdminRouteModule } from './plugin.js';
import type { StaffIdentity } from './sessions.js';

const ROLES: ('owner' | 'staff')[] = ['owner', 'staff'];
const PER_PAGE = 50;
const ID = /^crq_[0-9A-Z]{16}$/;

const opt = optionalQueryValue;

const filterShape = {
  status: opt(z.enum(['new', 'sent'], { error: '状態の指定が正しくありません。' })),
  q: opt(text({ max: 100 })),
};
const listQuery = z
  .object({
    ...filterShape,
    page: opt(z.string().regex(/^\d{1,5}$/, 'ページ番号が正しくありません。').transform(Number).refine((n) => n >= 1, 'ページ番号が正しくありません。')),
    done: opt(z.string().regex(/^\d{1,4}$/)),
  })
  .strict();
const exportQuery = z.object(filterShape).strict();
const idList = z
  .union([z.string(), z.array(z.string())], { error: '発送済みにする請求を選択してください。' })
  .transform((v) => (Array.isArray(v) ? v : [v]))
  .refine((v) => v.length <= 500, '一度に選択できるのは500件までです。')
  .refine((v) => v.every((id) => ID.test(id)), '選択内容が正しくありません。');
const markSentForm = z.object({ ids: idList, status: z.string().max(10).optional(), q: z.string().max(100).optional(), page: z.string().max(5).optional() }).strict();

const actorOf = (s: StaffIdentity) => `staff:${s.email}`;

function rawValues(query: unknown): ListValues {
  const out: ListValues = {};
  if (typeof query !== 'object' || query === null) return out;
  for (const k of ['status', 'q', 'page'] as const) {
    const v = (query as Record<string, unknown>)[k];
    if (typeof v === 'string') out[k] = v.slice(0, 100);
  }
  return out;
}

/**
 * Catalog requests (カタログ請求) in the admin console: the list with paging, status and search,
 * bulk "mark sent", and the mailing-label CSV. Requesters are personal data: every list page and
 * export writes an audit entry first (who, which requests — never the data or the search words).
 */
export const catalogRequestAdminRoutes: AdminRouteModule = (app, pages) => {
  const { services } = pages;
  const requests = services.catalogRequests;

  const renderList = async (req: FastifyRequest, reply: FastifyReply, staff: StaffIdentity, values: ListValues, opts: { error?: string; status?: number } = {}) => {
    const parsed = listQuery.safeParse(req.query ?? {});
    if (!parsed.success || opts.error) {
      const error = opts.error ?? (parsed.success ? '' : (parsed.error.issues[0]?.message ?? '検索条件が正しくありません。'));
      return pages.render(req, reply, 'カタログ請求', (c) => <CatalogRequestsPage c={c} values={values} rows={[]} total={0} page={1} pages={0} error={error} />, opts.status ?? 400);
    }
    const filter: CatalogRequestFilter = { status: parsed.data.status, q: parsed.data.q };
    const page = parsed.data.page ?? 1;
    const { rows, total } = await requests.list(filter, page, PER_PAGE);
    const duplicates = await requests.duplicateCounts(rows);
    const pageCount = Math.max(1, Math.ceil(total / PER_PAGE));
    await services.audit.append({
      actor: actorOf(staff), action: 'catalog_request.list', target: null,
      detail: { status: filter.status, search: filter.q !== null, page, shown: rows.map((r) => r.id) },
    });
    const done = parsed.data.done !== null ? Number(parsed.data.done) : null;
    return pages.render(req, reply, 'カタログ請求', (c) => <CatalogRequestsPage c={c} values={values} rows={rows} total={total} page={page} pages={pageCount} done={done} duplicates={duplicates} />);
  };

  app.get('/catalog-requests', async (req, reply) => {
    const staff = await pages.require(req, reply, ROLES);
    if (!staff) return reply;
    return renderList(req, reply, staff, rawValues(req.query));
  });

  app.post('/catalog-requests/mark-sent', async (req, reply) => {
    const staff = await pages.require(req, reply, ROLES);
    if (!staff) return reply;
    const parsed = parseForm(markSentForm, req.body);
    const back = rawValues(req.body);
    if (!parsed.ok) {
      const message = Object.values(parsed.errors)[0] ?? '入力内容が正しくありません。';
      return pages.render(req, reply, 'カタログ請求', (c) => <CatalogRequestsPage c={c} values={back} rows={[]} total={0} page={1} pages={0} error={message} />, 422);
    }
    const ids = [...new Set(parsed.data.ids)];
    const changed = await requests.markSent(ids, actorOf(staff));
    await services.audit.append({ actor: actorOf(staff), action: 'catalog_request.mark_sent', target: null, detail: { selected: ids.length, changed } });
    const q = new URLSearchParams();
    for (const k of ['status', 'q', 'page'] as const) if (back[k]) q.set(k, back[k]!);
    q.set('done', String(changed.length));
    return reply.redirect(`${pages.base}/catalog-requests?${q.toString()}`, 303);
  });

  app.get('/catalog-requests/labels.csv', async (req, reply) => {
    const staff = await pages.require(req, reply, ROLES);
    if (!staff) return reply;
    const parsed = exportQuery.safeParse(req.query ?? {});
    if (!parsed.success) return renderList(req, reply, staff, rawValues(req.query), { error: parsed.error.issues[0]?.message ?? '出力条件が正しくありません。' });
    const filter: CatalogRequestFilter = { status: parsed.data.status, q: parsed.data.q };
    const { rows, more } = await requests.forExport(filter);
    const ids = rows.map((r) => r.id);
    await services.audit.append({
      actor: actorOf(staff), action: 'catalog_request.export', target: null,
      detail: { format: 'mailing_labels_csv', status: filter.status, search: filter.q !== null, rows: rows.length, truncated: more, requests: ids.length <= 200 ? ids : `${ids.length}件` },
    });
    const csv = toCsv(LABEL_CSV_HEADER, rows.map((r) => labelCsvRow(r, (iso) => jstDate(new Date(iso)))));
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="catalog-labels-${jstDate().replace(/-/g, '')}.csv"`)
      .header('x-content-type-options', 'nosniff')
      .send(csv);
  });

  // Requests by phone, FAX or postcard, typed in by staff (the storefront form's per-IP limit
  // would stop a morning's postcards, and the consent is confirmed by staff, not ticked by the requester).
  const entryPage = async (req: FastifyRequest, reply: FastifyReply, state = emptyForm(), status = 200) => {
    const shop = (await services.settings.get()).shop;
    return pages.render(req, reply, 'カタログ請求の入力', (c) => <CatalogRequestEntryPage c={c} state={state} consent={consentText(shop.name, 'ja')} />, status);
  };

  app.get('/catalog-requests/new', async (req, reply) => {
    if (!(await pages.require(req, reply, ROLES))) return reply;
    return entryPage(req, reply);
  });

  app.post('/catalog-requests/new', async (req, reply) => {
    const staff = await pages.require(req, reply, ROLES);
    if (!staff) return reply;
    const parsed = parseForm(staffCatalogRequestSchema, req.body);
    if (!parsed.ok) {
      const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
      const values = Object.fromEntries(Object.entries(body).filter(([k, v]) => k !== '_csrf' && typeof v === 'string').map(([k, v]) => [k, (v as string).slice(0, 300)]));
      return entryPage(req, reply, { values, errors: parsed.errors }, 422);
    }
    const d = parsed.data;
    const row = await requests.create({
      name: d.name, kana: d.kana, postalCode: d.postal, prefecture: d.prefecture, address1: d.address1, address2: d.address2,
      email: d.email, phone: d.phone, lang: 'ja', channel: d.channel, enteredBy: staff.id,
    });
    await services.audit.append({ actor: actorOf(staff), action: 'catalog_request.enter', target: row.id, detail: { channel: d.channel } });
    return reply.redirect(`${pages.base}/catalog-requests?q=${row.id}`, 303);
  });
};
