import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { tooManyRequests } from '../app/errors.js';
import type { CatalogService } from '../catalog/service.js';
import { orderFormPdf } from '../catalog/order-form.js';
import type { SettingsService } from '../settings/service.js';
import type { RateLimiter } from '../shared/ratelimit.js';
import { parseForm, parseQuery, type FieldErrors } from '../shared/validation.js';
import { redirect } from '../web/context.js';
import type { Pages } from '../web/page.js';
import { catalogRequestSchema } from './form.js';
import { consentText, type CatalogRequestService } from './service.js';
import { CatalogRequestPage, CatalogRequestThanksPage } from './views.js';

export interface CatalogRequestDeps {
  catalogRequests: CatalogRequestService;
  catalog: CatalogService;
  settings: SettingsService;
  rateLimiter: RateLimiter;
  pages: Pages;
}

/** Catalog requests a visitor (one IP address) may post per hour, valid or not. */
export const REQUESTS_PER_IP_PER_HOUR = 10;
/** The public order form is the same for everyone: it is built at most this often. */
const ORDER_FORM_CACHE_MS = 10 * 60 * 1000;

const pageQuery = z.object({ lang: z.enum(['ja', 'en']).optional() }).strict();

function formValues(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof body !== 'object' || body === null) return out;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v === 'string' && k !== '_csrf' && /^[a-z0-9_]{1,20}$/.test(k)) out[k] = v.slice(0, 300);
  }
  return out;
}

/** The storefront side of the paper channel: the catalog request form and the printable order form. */
export function catalogRequestRoutes(app: FastifyInstance, deps: CatalogRequestDeps): void {
  const { catalogRequests, catalog, settings, rateLimiter, pages } = deps;

  const renderForm = async (req: FastifyRequest, reply: FastifyReply, values: Record<string, string>, errors: FieldErrors, status: number) => {
    const s = await settings.get();
    const lang = req.visitor.lang;
    const consent = consentText(lang === 'en' ? s.shop.nameEn : s.shop.name, lang);
    return pages.render(req, reply, (v) => <CatalogRequestPage v={v} values={values} errors={errors} consent={consent} />, status);
  };

  app.get('/catalog-request', async (req, reply) => {
    parseQuery(pageQuery, req.query);
    return renderForm(req, reply, {}, {}, 200);
  });

  app.post('/catalog-request', async (req, reply) => {
    if (!(await rateLimiter.hit(`catalog-request:ip:${req.ip}`, REQUESTS_PER_IP_PER_HOUR, 3600)).allowed) throw tooManyRequests();
    const parsed = parseForm(catalogRequestSchema, req.body);
    if (!parsed.ok) return renderForm(req, reply, formValues(req.body), parsed.errors, 422);
    const d = parsed.data;
    await catalogRequests.create({
      name: d.name, kana: d.kana, postalCode: d.postal, prefecture: d.prefecture, address1: d.address1, address2: d.address2,
      email: d.email, phone: d.phone, lang: req.visitor.lang,
    });
    return redirect(reply, '/catalog-request/thanks');
  });

  app.get('/catalog-request/thanks', async (req, reply) => {
    parseQuery(pageQuery, req.query);
    return pages.render(req, reply, (v) => <CatalogRequestThanksPage v={v} />);
  });

  // The paper order form: the shop's details and the current catalog, no personal data, so it
  // is built once for everyone and kept for a while (private: a first visit's reply sets a cookie).
  let cached: { at: number; pdf: Promise<Buffer> } | null = null;
  app.get('/order-form.pdf', async (req, reply) => {
    parseQuery(pageQuery, req.query);
    const now = Date.now();
    if (!cached || now - cached.at >= ORDER_FORM_CACHE_MS) {
      const pdf = (async () => orderFormPdf({ settings: await settings.get(), catalog: await catalog.paperCatalog() }))();
      cached = { at: now, pdf };
      pdf.catch(() => {
        if (cached?.pdf === pdf) cached = null;
      });
    }
    const body = await cached.pdf;
    return reply
      .type('application/pdf')
      .header('content-disposition', 'attachment; filename="order-form.pdf"')
      .header('cache-control', 'private, max-age=600')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });
}
