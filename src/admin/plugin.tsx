import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { VNode } from 'preact';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Services } from '../app/services.js';
import { cidrAllowList } from '../shared/cidr.js';
import type { Asset } from '../web/assets.js';
import { sendPage } from '../web/view.js';
import { AdminLayout, type AdminCtx } from './layout.js';
import type { StaffIdentity } from './sessions.js';
import type { StaffRole } from './tables.js';

export const ADMIN_COOKIE = 'mamori_admin';
const STATIC = join(dirname(fileURLToPath(import.meta.url)), 'static');

declare module 'fastify' {
  interface FastifyRequest {
    staff: StaffIdentity | null;
  }
}

/** The strict policy of every admin page: nothing but the console's own script, under Trusted Types. */
export const ADMIN_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
  'report-uri /csp-report',
  'report-to csp',
].join('; ');

/** Rendering and guards shared by every admin page. Admin route modules receive one of these. */
export class AdminPages {
  constructor(
    readonly services: Services,
    readonly base: string,
    private readonly assets: { css: Asset; js: Asset },
  ) {}

  async ctx(req: FastifyRequest): Promise<AdminCtx> {
    const [settings, suspended, alerts] = await Promise.all([
      this.services.settings.get(),
      req.staff?.mfaPassed ? this.services.killSwitch.isSuspended() : Promise.resolve(false),
      req.staff?.mfaPassed ? this.services.alerts.listOpen(100) : Promise.resolve([]),
    ]);
    return {
      base: this.base, csrf: req.visitor.csrfToken, staff: req.staff, shopName: settings.shop.name,
      cardSuspended: suspended, openAlerts: alerts.length, css: this.assets.css, js: this.assets.js, path: req.url.split('?')[0]!,
    };
  }

  async render(req: FastifyRequest, reply: FastifyReply, title: string, body: (c: AdminCtx) => VNode | VNode[] | string | null, status = 200): Promise<FastifyReply> {
    const c = await this.ctx(req);
    return sendPage(reply, <AdminLayout c={c} title={title}>{body(c)}</AdminLayout>, status);
  }

  /**
   * The signed-in staff member with the second factor passed and one of the roles, or null after
   * answering: to the login page, to 2FA enrolment/verification, or 403 for a role that may not.
   */
  async require(req: FastifyRequest, reply: FastifyReply, roles: StaffRole[]): Promise<StaffIdentity | null> {
    const s = req.staff;
    if (!s) {
      await reply.redirect(`${this.base}/login?next=${encodeURIComponent(req.url.split('?')[0]!)}`, 303);
      return null;
    }
    if (!s.mfaPassed) {
      await reply.redirect(`${this.base}/${s.mfaEnrolled ? 'login/2fa' : 'setup/2fa'}`, 303);
      return null;
    }
    if (!roles.includes(s.role)) {
      await this.render(req, reply, '権限がありません', () => <p>この画面を開く権限がありません。必要な場合はオーナーに依頼してください。</p>, 403);
      return null;
    }
    return s;
  }
}

function asset(file: string, base: string): Asset & { body: Buffer } {
  const body = readFileSync(join(STATIC, file));
  const hash = createHash('sha384').update(body).digest('base64');
  return { url: `${base}/assets/${file}?v=${hash.slice(0, 10).replace(/[^A-Za-z0-9]/g, '')}`, integrity: `sha384-${hash}`, body };
}

export type AdminRouteModule = (app: FastifyInstance, pages: AdminPages) => void;

/**
 * The admin console under its own path prefix: IP allow-list, its own session cookie and strict
 * CSP. Each domain contributes its pages as an AdminRouteModule.
 */
export function registerAdmin(app: FastifyInstance, services: Services, modules: AdminRouteModule[]): void {
  const { config } = services;
  const base = config.admin.path;
  const allowed = cidrAllowList(config.admin.allowCidrs);
  const css = asset('admin.css', base);
  const js = asset('admin.js', base);
  const pages = new AdminPages(services, base, { css, js });

  app.decorateRequest('staff', null);
  void app.register(
    async (admin) => {
      admin.addHook('onRequest', async (req, reply) => {
        if (allowed && !allowed(req.ip)) {
          req.log.warn({ ip: req.ip }, 'admin access from an address outside ADMIN_ALLOW_CIDRS');
          return reply.code(403).type('text/plain; charset=utf-8').send('Forbidden');
        }
        const token = req.cookies[ADMIN_COOKIE];
        req.staff = token ? await services.staffSessions.identify(token) : null;
      });
      admin.addHook('onSend', async (_req, reply) => {
        reply.header('content-security-policy', ADMIN_CSP);
        reply.header('cache-control', 'no-store');
      });
      admin.get('/assets/admin.css', (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=31536000, immutable').send(css.body));
      admin.get('/assets/admin.js', (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=31536000, immutable').send(js.body));
      for (const m of modules) m(admin, pages);
    },
    { prefix: base },
  );
}

export function adminCookieOptions(services: Services) {
  return {
    path: services.config.admin.path,
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: services.config.secureCookies,
  };
}
