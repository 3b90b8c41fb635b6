import type { FastifyReply, FastifyRequest } from 'fastify';
import { orderFormPdf } from '../catalog/order-form.js';
import { replySheetPdf } from '../checkout/reply-sheet.js';
import { Notice } from './components.js';
import type { AdminRouteModule } from './plugin.js';
import type { StaffIdentity } from './sessions.js';

const ROLES: ('owner' | 'staff')[] = ['owner', 'staff'];
const ORDER_ID = /^ord_[0-9A-Z]{16}$/;

const actorOf = (s: StaffIdentity) => `staff:${s.email}`;

// Downloaded, not shown inline: the console's CSP (object-src 'none') keeps browsers' built-in PDF
// viewers out, and a PDF reader prints A4 at 100 % more reliably anyway.
const sendPdf = (reply: FastifyReply, name: string, body: Buffer) =>
  reply
    .type('application/pdf')
    .header('content-disposition', `attachment; filename="${name}"`)
    .header('x-content-type-options', 'nosniff')
    .send(body);

/**
 * Paper documents of the mail-order channel: the FAX reply sheet of one order (personal data, so
 * audited like the packing slip) and the printable order form of the paper catalog.
 */
export const paperRoutes: AdminRouteModule = (app, pages) => {
  const { services } = pages;

  const problem = (req: FastifyRequest, reply: FastifyReply, status: number, message: string) =>
    pages.render(req, reply, status === 404 ? '見つかりません' : '入力内容をご確認ください', () => <Notice kind="error">{message}</Notice>, status);
  const noQuery = (req: FastifyRequest) => Object.keys((req.query as object | undefined) ?? {}).length === 0;

  app.get('/orders/:id/reply-sheet.pdf', async (req, reply) => {
    const staff = await pages.require(req, reply, ROLES);
    if (!staff) return reply;
    if (!noQuery(req)) return problem(req, reply, 400, 'パラメータが正しくありません。');
    const id = (req.params as { id: string }).id;
    const order = ORDER_ID.test(id) ? await services.orders.getById(id) : undefined;
    if (!order) return problem(req, reply, 404, 'ご注文が見つかりません。');
    const [lines, settings, link] = await Promise.all([
      services.orders.lines(order.id), services.settings.get(),
      // A card order entered by staff prints its open payment link (URL and QR code).
      order.payment_method === 'card' && order.payment_status !== 'paid' ? services.paymentLinks.currentLinkFor(order.id) : Promise.resolve(null),
    ]);
    const pdf = await replySheetPdf({ order, lines, settings, ...(link ? { paymentLinkUrl: link.url } : {}) });
    await services.audit.append({ actor: actorOf(staff), action: 'order.reply_sheet', target: order.id, detail: { orderNumber: order.order_number } });
    return sendPdf(reply, `reply-sheet-${order.order_number}.pdf`, pdf);
  });

  app.get('/catalog/order-form.pdf', async (req, reply) => {
    if (!(await pages.require(req, reply, ROLES))) return reply;
    if (!noQuery(req)) return problem(req, reply, 400, 'パラメータが正しくありません。');
    const [settings, catalog] = await Promise.all([services.settings.get(), services.catalog.paperCatalog()]);
    return sendPdf(reply, 'order-form.pdf', await orderFormPdf({ settings, catalog }));
  });
};
