import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CUSTOMER_CSV_HEADER, CustomerAdminService, customerCsvRow } from '../customers/admin-service.js';
import { toCsv } from '../shared/csv.js';
import { jstDate } from '../shared/time.js';
import { parseForm, text } from '../shared/validation.js';
import { CustomerDetailPage, CustomerSearchPage } from './customers-views.js';
import type { AdminRouteModule } from './plugin.js';
import type { StaffIdentity } from './sessions.js';

const ROLES: ('owner' | 'staff')[] = ['owner', 'staff'];
const CUSTOMER_ID = /^cus_[0-9A-Z]{16}$/;
/** Rows on the search page, and in one export. */
const SHOWN = 100;
const EXPORTED = 10_000;

const queryField = text({ max: 100, label: '検索語' });
const searchQuery = z.object({ q: z.string().optional() }).strict();
const exportForm = z.object({ q: queryField }).strict();

const actorOf = (s: StaffIdentity) => `staff:${s.email}`;

/**
 * Customers in the admin console. Personal data is shown or exported only after the audit entry
 * for it is written (who, when, which customers — never the data itself): `customer.search`,
 * `customer.view`, `customer.export`.
 */
export const customerAdminRoutes: AdminRouteModule = (app, pages) => {
  const services = pages.services;
  const customers = new CustomerAdminService(services.handle.db);

  const notFound = (req: FastifyRequest, reply: FastifyReply) =>
    pages.render(req, reply, '顧客が見つかりません', (c) => <p>顧客が見つかりません。<a href={`${c.base}/customers`}>顧客検索へ</a></p>, 404);

  app.get('/customers', async (req, reply) => {
    const staff = await pages.require(req, reply, ROLES);
    if (!staff) return reply;
    const parsedQuery = searchQuery.safeParse(req.query);
    const raw = parsedQuery.success ? (parsedQuery.data.q ?? '') : '';
    if (!parsedQuery.success) {
      return pages.render(req, reply, '顧客', (c) => <CustomerSearchPage c={c} q="" rows={[]} more={false} errors={{ _form: '検索条件が正しくありません。' }} />, 400);
    }
    if (raw.trim() === '') return pages.render(req, reply, '顧客', (c) => <CustomerSearchPage c={c} q="" rows={[]} more={false} errors={{}} />);
    const q = queryField.safeParse(raw);
    if (!q.success) {
      const message = q.error.issues[0]?.message ?? '検索語が正しくありません。';
      return pages.render(req, reply, '顧客', (c) => <CustomerSearchPage c={c} q={raw.slice(0, 100)} rows={[]} more={false} errors={{ q: message }} />, 400);
    }
    const result = await customers.search(q.data, SHOWN);
    await services.audit.append({
      actor: actorOf(staff), action: 'customer.search', target: null,
      detail: { results: result.rows.length, customers: result.rows.map((r) => r.id) },
    });
    return pages.render(req, reply, '顧客', (c) => <CustomerSearchPage c={c} q={q.data} rows={result.rows} more={result.more} errors={{}} />);
  });

  app.get('/customers/:id', async (req, reply) => {
    const staff = await pages.require(req, reply, ROLES);
    if (!staff) return reply;
    const id = (req.params as { id?: string }).id ?? '';
    if (!CUSTOMER_ID.test(id)) return notFound(req, reply);
    const customer = await customers.get(id);
    if (!customer) return notFound(req, reply);
    const [addresses, orders] = await Promise.all([services.customers.listAddresses(id), services.orders.listForCustomer(id, 100)]);
    await services.audit.append({
      actor: actorOf(staff), action: 'customer.view', target: id,
      detail: { shown: ['profile', 'addresses', 'orders'], addresses: addresses.length, orders: orders.length },
    });
    return pages.render(req, reply, `顧客: ${customer.name}`, (c) => <CustomerDetailPage c={c} customer={customer} addresses={addresses} orders={orders} />);
  });

  app.post('/customers/export', async (req, reply) => {
    const staff = await pages.require(req, reply, ROLES);
    if (!staff) return reply;
    const parsed = parseForm(exportForm, req.body);
    if (!parsed.ok) {
      return pages.render(req, reply, '顧客', (c) => <CustomerSearchPage c={c} q="" rows={[]} more={false} errors={parsed.errors} />, 422);
    }
    const result = await customers.search(parsed.data.q, EXPORTED);
    const ids = result.rows.map((r) => r.id);
    await services.audit.append({
      actor: actorOf(staff), action: 'customer.export', target: null,
      detail: { format: 'csv', rows: result.rows.length, truncated: result.more, customers: ids.length <= 200 ? ids : `${ids.length}件` },
    });
    const csv = toCsv(CUSTOMER_CSV_HEADER, result.rows.map(customerCsvRow));
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="customers-${jstDate().replace(/-/g, '')}.csv"`)
      .header('x-content-type-options', 'nosniff')
      .send(csv);
  });
};
