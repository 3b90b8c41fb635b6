import type { FastifyReply, FastifyRequest } from 'fastify';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { randomBytes } from 'node:crypto';
import type { CartService } from '../cart/service.js';
import type { CustomerService } from '../customers/service.js';
import type { SettingsService } from '../settings/service.js';
import type { Asset } from './assets.js';
import { AccountLink, CartBadge } from './layout.js';
import { sendPage, type ViewCtx } from './view.js';

export interface PageDeps {
  settings: SettingsService;
  cart: CartService;
  customers: CustomerService;
  assets: { css: Asset; js: Asset };
}

interface HeaderState {
  cartCount: number;
  customerName: string | null;
}

/**
 * Builds the per-request view context (shop name, cart badge, who is logged in).
 * Domain routes call `render(req, reply, view)`; nothing else renders HTML.
 */
export class Pages {
  /**
   * A shared page split at its per-visitor slots: parts[0] slot parts[1] slot … The parts are kept
   * UTF-8 encoded: a Japanese page sent as a string is transcoded on every response, which showed
   * as the largest single cost in the storefront's CPU profile.
   */
  private readonly shared = new Map<string, { at: number; parts: Buffer[]; slots: ('csrf' | 'cart' | 'account')[] }>();
  private readonly headers = new Map<string, { at: number; state: HeaderState }>();
  // Random per process: no text typed by anyone can contain them.
  private readonly nonce = randomBytes(12).toString('hex');
  private readonly marks = { csrf: `mamori-csrf-${this.nonce}`, cart: `mamori-cart-${this.nonce}`, account: `mamori-account-${this.nonce}` };

  constructor(private readonly deps: PageDeps) {}

  private async headerState(req: FastifyRequest): Promise<HeaderState> {
    const session = await req.visitor.session();
    const [cartCount, customer] = await Promise.all([
      this.deps.cart.count(session.cartId),
      session.customerId ? this.deps.customers.getById(session.customerId) : Promise.resolve(undefined),
    ]);
    return { cartCount, customerName: customer?.name ?? null };
  }

  async ctx(req: FastifyRequest): Promise<ViewCtx> {
    const v = req.visitor;
    const [settings, header] = await Promise.all([this.deps.settings.get(), this.headerState(req)]);
    return {
      lang: v.lang,
      t: v.t,
      csrf: v.csrfToken,
      path: req.url,
      shopName: v.lang === 'en' ? settings.shop.nameEn : settings.shop.name,
      cartCount: header.cartCount,
      customerName: header.customerName,
      assets: this.deps.assets,
    };
  }

  async render(req: FastifyRequest, reply: FastifyReply, view: (v: ViewCtx) => VNode, status = 200): Promise<FastifyReply> {
    return sendPage(reply, view(await this.ctx(req)), status);
  }

  /**
   * For pages that are the same for every visitor but for the header and the CSRF token (product
   * and category pages): the page is rendered once per key and language for `ttlMs`, and each
   * request fills in its own token, cart badge and account link. The header state of a visitor is
   * itself kept for a second — only for these pages; the cart and checkout always read afresh.
   * Returns false (nothing sent) when `build` finds nothing to show.
   */
  async renderShared(req: FastifyRequest, reply: FastifyReply, key: string, ttlMs: number, build: () => Promise<((v: ViewCtx) => VNode) | null>): Promise<boolean> {
    const v = req.visitor;
    const now = Date.now();
    const cacheKey = `${v.lang}|${key}`;
    let page = this.shared.get(cacheKey);
    if (!page || now - page.at >= ttlMs) {
      const view = await build();
      if (!view) return false;
      const settings = await this.deps.settings.get();
      const ctx: ViewCtx = {
        lang: v.lang, t: v.t, csrf: this.marks.csrf, path: req.url.split('?')[0]!, cartCount: 0, customerName: null,
        shopName: v.lang === 'en' ? settings.shop.nameEn : settings.shop.name, assets: this.deps.assets,
        markers: { cart: this.marks.cart, account: this.marks.account },
      };
      page = this.split(`<!doctype html>${renderToString(view(ctx))}`);
      page.at = now;
      if (this.shared.size > 2000) this.shared.clear();
      this.shared.set(cacheKey, page);
    }
    let header: HeaderState = { cartCount: 0, customerName: null };
    if (!v.isNew) {
      const hit = this.headers.get(v.tokenHash);
      if (hit && now - hit.at < 1000) header = hit.state;
      else {
        header = await this.headerState(req);
        if (this.headers.size > 10_000) this.headers.clear();
        this.headers.set(v.tokenHash, { at: now, state: header });
      }
    }
    const values = {
      csrf: v.csrfToken,
      cart: header.cartCount > 0 ? renderToString(<CartBadge count={header.cartCount} />) : '',
      account: this.accountLink(v.lang, header.customerName !== null, v.t),
    };
    const chunks: Buffer[] = [page.parts[0]!];
    let length = chunks[0]!.length;
    for (let i = 0; i < page.slots.length; i++) {
      const value = Buffer.from(values[page.slots[i]!]);
      const part = page.parts[i + 1]!;
      chunks.push(value, part);
      length += value.length + part.length;
    }
    // Not `return reply.send()`: a reply is a thenable, and awaiting it would hide the result.
    void reply.code(200).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(Buffer.concat(chunks, length));
    return true;
  }

  private readonly accountLinks = new Map<string, string>();

  private accountLink(lang: string, member: boolean, t: ViewCtx['t']): string {
    const key = `${lang}|${member}`;
    let html = this.accountLinks.get(key);
    if (html === undefined) {
      html = renderToString(<AccountLink v={{ customerName: member ? 'member' : null, t }} />);
      this.accountLinks.set(key, html);
    }
    return html;
  }

  private split(html: string): { at: number; parts: Buffer[]; slots: ('csrf' | 'cart' | 'account')[] } {
    const names = { [this.marks.csrf]: 'csrf', [this.marks.cart]: 'cart', [this.marks.account]: 'account' } as const;
    const re = new RegExp(`${this.marks.csrf}|${this.marks.cart}|${this.marks.account}`, 'g');
    const parts: Buffer[] = [];
    const slots: ('csrf' | 'cart' | 'account')[] = [];
    let last = 0;
    for (const m of html.matchAll(re)) {
      parts.push(Buffer.from(html.slice(last, m.index)));
      slots.push(names[m[0]]!);
      last = m.index + m[0].length;
    }
    parts.push(Buffer.from(html.slice(last)));
    return { at: 0, parts, slots };
  }

  /** After this process changed a visitor's session or cart. */
  forgetVisitor(tokenHash: string): void {
    this.headers.delete(tokenHash);
  }
}
