import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { mkdirSync } from 'node:fs';
import { cartRoutes } from '../cart/routes.js';
import { catalogRoutes } from '../catalog/routes.js';
import { checkoutRoutes } from '../checkout/routes.js';
import { customerRoutes } from '../customers/routes.js';
import { paymentRoutes } from '../payments/routes.js';
import { paymentLinkRoutes } from '../payments/link-routes.js';
import { CardDataRefused, installPanTripwire } from '../payments/tripwire.js';
import { legalRoutes } from '../settings/routes.js';
import { registerAdmin } from '../admin/plugin.js';
import { cspReportRoutes } from '../integrity/csp-reports.js';
import { monitorRoutes } from '../integrity/monitor/routes.js';
import { ADMIN_MODULES } from '../admin/routes.js';
import { loadAssets, STATIC_DIR } from '../web/assets.js';
import { CsrfError, installRequestContext } from '../web/context.js';
import { BareErrorPage, ErrorPage } from '../web/error-views.js';
import { Pages } from '../web/page.js';
import { sendPage } from '../web/view.js';
import { installSecurityHeaders } from '../web/security.js';
import { AppError } from './errors.js';
import type { Services } from './services.js';
import { catalogRequestRoutes } from '../catalog-requests/routes.js';

export const BODY_LIMIT = 64 * 1024;

/** Builds the shop's HTTP server: plugins, hooks, error mapping and every domain's routes. */
export async function buildServer(services: Services): Promise<FastifyInstance> {
  const { config } = services;
  const app = Fastify({
    logger: {
      level: config.logLevel,
      // Request bodies are never logged; these headers carry credentials.
      redact: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'],
      // Query strings are never logged: they can carry tokens, and a tampered form could put card data there.
      serializers: {
        req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, path: req.url.split('?')[0], ip: req.ip }),
      },
    },
    bodyLimit: BODY_LIMIT,
    trustProxy: process.env.TRUST_PROXY === '1',
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
  });

  // First of all: refuse card data on any route, before parsing, CSRF or routing decide anything.
  installPanTripwire(app, { alerts: services.alerts, hashKey: config.secrets.cookieSecret, maxBodyBytes: 256 * 1024, adminPath: config.admin.path });
  await app.register(cookie);
  await app.register(formbody);
  // Webhooks are verified over the exact bytes received, so JSON arrives as text; routes parse it.
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) => done(null, body));

  installSecurityHeaders(app, { providerOrigin: services.payments.providerOrigin, tls: config.secureCookies, publicUrl: config.publicUrl });
  installRequestContext(app, config, services.sessions);

  const assets = loadAssets({ warn: (msg) => app.log.warn(msg) });
  const pages = new Pages({ settings: services.settings, cart: services.cart, customers: services.customers, assets });

  await app.register(fastifyStatic, { root: STATIC_DIR, prefix: '/static/', immutable: true, maxAge: '365d', index: false, dotfiles: 'deny' });
  mkdirSync(services.mediaDir, { recursive: true });
  await app.register(fastifyStatic, {
    root: services.mediaDir,
    prefix: '/media/',
    decorateReply: false,
    index: false,
    dotfiles: 'deny',
    maxAge: '1d',
    // Product images are data, never documents: an SVG opened directly cannot run anything.
    setHeaders: (res) => res.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox"),
  });

  app.setErrorHandler(async (err: FastifyError | AppError | CsrfError | CardDataRefused, req, reply) => {
    let status = 500;
    let message = '申し訳ありません。エラーが発生しました。時間をおいて再度お試しください。';
    if (err instanceof AppError || err instanceof CsrfError || err instanceof CardDataRefused) {
      status = err.statusCode;
      message = err.message;
    } else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      status = err.statusCode;
      message = status === 413 ? '送信内容が大きすぎます。' : status === 415 ? 'この形式の送信には対応していません。' : '送信内容を読み取れませんでした。';
    }
    // After a refused large body the rest of it may still be arriving: do not keep the connection.
    if (status === 413) reply.header('connection', 'close');
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ status, code: (err as { code?: string }).code }, 'request refused');
    if (err instanceof CardDataRefused && !req.visitor && (req.headers.accept ?? '').includes('text/html')) {
      const admin = req.url === config.admin.path || req.url.startsWith(`${config.admin.path}/`) || req.url.startsWith(`${config.admin.path}?`);
      return sendPage(reply, <BareErrorPage status={status} message={message} home={admin ? config.admin.path : '/'} />, status);
    }
    if (!req.visitor || !(req.headers.accept ?? '').includes('text/html')) {
      return reply.code(status).type('application/json; charset=utf-8').send({ error: message });
    }
    return pages.render(req, reply, (v) => <ErrorPage v={v} status={status} message={message} />, status);
  });

  app.setNotFoundHandler(async (req, reply) => {
    if (!req.visitor || !(req.headers.accept ?? '').includes('text/html')) {
      return reply.code(404).send({ error: 'not found' });
    }
    return pages.render(req, reply, (v) => <ErrorPage v={v} status={404} message="お探しのページは見つかりませんでした。" />, 404);
  });

  app.get('/favicon.ico', async (_req, reply) => reply.redirect('/static/img/favicon.svg', 301));

  app.get('/healthz', async () => {
    const started = Date.now();
    await services.handle.db.selectFrom('settings').select('key').limit(1).execute();
    return { status: 'ok', database: services.handle.dialect, dbLatencyMs: Date.now() - started };
  });

  catalogRoutes(app, { catalog: services.catalog, pages });
  cartRoutes(app, { cart: services.cart, sessions: services.sessions, pages });
  checkoutRoutes(app, { orders: services.orders, cart: services.cart, customers: services.customers, settings: services.settings, payments: services.payments, killSwitch: services.killSwitch, pages });
  paymentRoutes(app, { payments: services.payments, orders: services.orders, pages });
  paymentLinkRoutes(app, { links: services.paymentLinks, orders: services.orders, pages });
  customerRoutes(app, { customers: services.customers, sessions: services.sessions, cart: services.cart, orders: services.orders, rateLimiter: services.rateLimiter, pages });
  legalRoutes(app, { settings: services.settings, pages });
  catalogRequestRoutes(app, { catalogRequests: services.catalogRequests, catalog: services.catalog, settings: services.settings, rateLimiter: services.rateLimiter, pages });
  registerAdmin(app, services, ADMIN_MODULES);
  cspReportRoutes(app, { db: services.handle.db, alerts: services.alerts, rateLimiter: services.rateLimiter, hashKey: config.secrets.cookieSecret, logger: app.log });
  monitorRoutes(app, { monitor: services.monitor, token: services.monitorToken, rateLimiter: services.rateLimiter, hashKey: config.secrets.cookieSecret });

  return app;
}
