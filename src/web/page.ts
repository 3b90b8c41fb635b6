import type { FastifyReply, FastifyRequest } from 'fastify';
import type { VNode } from 'preact';
import type { CartService } from '../cart/service.js';
import type { CustomerService } from '../customers/service.js';
import type { SettingsService } from '../settings/service.js';
import type { Asset } from './assets.js';
import { sendPage, type ViewCtx } from './view.js';

export interface PageDeps {
  settings: SettingsService;
  cart: CartService;
  customers: CustomerService;
  assets: { css: Asset; js: Asset };
}

/**
 * Builds the per-request view context (shop name, cart badge, who is logged in).
 * Domain routes call `page(req, reply, node)`; nothing else renders HTML.
 */
export class Pages {
  constructor(private readonly deps: PageDeps) {}

  async ctx(req: FastifyRequest): Promise<ViewCtx> {
    const v = req.visitor;
    const [settings, session] = await Promise.all([this.deps.settings.get(), v.session()]);
    const [cartCount, customer] = await Promise.all([
      this.deps.cart.count(session.cartId),
      session.customerId ? this.deps.customers.getById(session.customerId) : Promise.resolve(undefined),
    ]);
    return {
      lang: v.lang,
      t: v.t,
      csrf: v.csrfToken,
      path: req.url,
      shopName: v.lang === 'en' ? settings.shop.nameEn : settings.shop.name,
      cartCount,
      customerName: customer?.name ?? null,
      assets: this.deps.assets,
    };
  }

  async render(req: FastifyRequest, reply: FastifyReply, view: (v: ViewCtx) => VNode, status = 200): Promise<FastifyReply> {
    return sendPage(reply, view(await this.ctx(req)), status);
  }
}
