import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../app/config.js';
import { buildServer } from '../app/server.js';
import { createServices, type Services } from '../app/services.js';
import { seedDemoCatalog } from '../catalog/demo.js';
import { staticFile } from '../web/assets.js';
import { checkPagesAgainstInventory, extractScripts, scriptInventory, sri384, type InventoryProblem, type RenderedPage, type ScriptInventory } from './script-inventory.js';

/**
 * Renders every kind of page on the buyer's payment path from a throw-away shop (own temporary data
 * directory, SQLite, the demo catalog), in process through `fastify.inject`: product page, cart,
 * checkout form (empty and with errors), confirmation, payment step, the provider-return error
 * page, a 404 under /checkout, and the thank-you page. Nothing listens on a port; the payment
 * provider is unreachable on purpose (the payment step page is then shown with its error, which is
 * the same template).
 */

const ORIGIN = 'http://shop.invalid';

export interface PaymentPathOptions {
  /** Called with the server before the walk: tests use it to tamper with a page (an added script). */
  tamper?: (app: FastifyInstance) => void | Promise<void>;
  /** The throw-away shop's PUBLIC_URL (default http://shop.invalid); an https URL gives the TLS headers. */
  publicUrl?: string;
  /** Called after the walk, before the shop is thrown away (tests inspect other responses). */
  inspect?: (app: FastifyInstance, services: Services) => Promise<void>;
}

class Buyer {
  private readonly cookies = new Map<string, string>();
  last: LightMyRequestResponse | null = null;

  constructor(
    private readonly app: FastifyInstance,
    private readonly host: string,
  ) {}

  async request(method: 'GET' | 'POST', url: string, form?: Record<string, string>): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({
      method, url,
      headers: {
        accept: 'text/html', host: this.host,
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { payload: new URLSearchParams(form).toString() } : {}),
    });
    for (const c of res.cookies) this.cookies.set(c.name, c.value);
    this.last = res;
    return res;
  }

  csrf(): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(this.last?.body ?? '');
    if (!m) throw new Error(`no CSRF token on the last page (${this.last?.statusCode})`);
    return m[1]!;
  }

  hiddenFields(action: string): Record<string, string> {
    const html = this.last?.body ?? '';
    const start = html.indexOf(`action="${action}"`);
    if (start < 0) throw new Error(`no form posting to ${action}`);
    const out: Record<string, string> = {};
    for (const m of html.slice(start, html.indexOf('</form>', start)).matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
      out[m[1]!] = m[2]!.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    }
    return out;
  }
}

const GUEST = {
  orderer_name: '検査 太郎', orderer_kana: 'ケンサ タロウ', orderer_postal: '100-0001', orderer_prefecture: '東京都',
  orderer_address1: '千代田区千代田1-1', orderer_address2: '', orderer_email: 'inventory-check@example.jp', orderer_phone: '03-1234-5678',
  orderer_fax: '', ship_to: 'orderer', ship_name: '', ship_kana: '', ship_postal: '', ship_prefecture: '', ship_address1: '',
  ship_address2: '', ship_phone: '', delivery_date: '', delivery_slot: '', note: '',
};

/** The payment-path pages as a buyer's browser receives them. */
export async function renderPaymentPath(opts: PaymentPathOptions = {}): Promise<RenderedPage[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mamori-inventory-'));
  const config = loadConfig(
    { NODE_ENV: 'test', LOG_LEVEL: 'silent', MAMORI_INTEGRITY: 'off', CARD_ATTEMPTS_PER_IP: '1000' },
    {
      publicUrl: opts.publicUrl ?? ORIGIN, dataDir, databaseUrl: null, workers: false,
      secrets: { cookieSecret: 'inventory-check-cookie-secret-0123456789', pspApiKey: 'sk_sandbox_inventory_check_0000', pspWebhookSecret: 'whsec_inventory_check_0000' },
      // Port 9 (discard) refuses connections: card payments fail fast and the payment step shows its error.
      // Behind TLS the provider's page is https too, as a real provider's is.
      psp: { port: 0, publicUrl: opts.publicUrl?.startsWith('https:') ? 'https://psp.invalid' : 'http://127.0.0.1:9', apiUrl: 'http://127.0.0.1:9' },
    },
  );
  const services = await createServices(config);
  let app: FastifyInstance | null = null;
  try {
    await seedDemoCatalog(services.handle.db, services.mediaDir);
    app = await buildServer(services);
    await opts.tamper?.(app);
    await app.ready();
    const pages: RenderedPage[] = [];
    const v = new Buyer(app, new URL(opts.publicUrl ?? ORIGIN).host);
    const keep = (name: string, path: string, res: LightMyRequestResponse) => {
      pages.push({ name, path, status: res.statusCode, html: res.body, headers: res.headers });
      return res;
    };
    const expect = (res: LightMyRequestResponse, status: number | number[], what: string) => {
      const ok = Array.isArray(status) ? status.includes(res.statusCode) : res.statusCode === status;
      if (!ok) throw new Error(`payment-path walk: ${what} answered ${res.statusCode}`);
      return res;
    };

    const home = expect(await v.request('GET', '/'), 200, 'the home page');
    const slug = /href="\/products\/([^"?#]+)"/.exec(home.body)?.[1];
    if (!slug) throw new Error('payment-path walk: no product link on the home page');
    const addToCart = async (record: boolean) => {
      const productRes = await v.request('GET', `/products/${slug}`);
      const product = expect(record ? keep('product', `/products/${slug}`, productRes) : productRes, 200, 'the product page');
      const variant = /name="variant_id"[^>]*value="(var_[0-9A-Z]{16})"|value="(var_[0-9A-Z]{16})"[^>]*name="variant_id"/.exec(product.body);
      const variantId = variant?.[1] ?? variant?.[2];
      if (!variantId) throw new Error('payment-path walk: no variant on the product page');
      expect(await v.request('POST', '/cart/add', { _csrf: v.csrf(), variant_id: variantId, quantity: '1' }), [302, 303], 'adding to the cart');
      const cart = expect(await v.request('GET', '/cart'), 200, 'the cart');
      if (record) keep('cart', '/cart', cart);
    };

    // Card: form, form with errors, confirmation, then the payment step.
    await addToCart(true);
    keep('checkout form', '/checkout', expect(await v.request('GET', '/checkout'), 200, 'the checkout form'));
    keep('checkout form with errors', '/checkout/confirm', expect(await v.request('POST', '/checkout/confirm', { _csrf: v.csrf(), ...GUEST, orderer_name: '', payment_method: 'card' }), 422, 'the checkout form with errors'));
    keep('checkout confirmation', '/checkout/confirm', expect(await v.request('POST', '/checkout/confirm', { _csrf: v.csrf(), ...GUEST, payment_method: 'card' }), 200, 'the confirmation'));
    const placed = expect(await v.request('POST', '/checkout/place', v.hiddenFields('/checkout/place')), [302, 303], 'placing the card order');
    const payUrl = placed.headers.location;
    if (typeof payUrl !== 'string' || !/^\/orders\/ord_[0-9A-Z]{16}\/pay\?t=/.test(payUrl)) throw new Error(`payment-path walk: unexpected redirect after placing the order: ${String(payUrl)}`);
    keep('payment step', payUrl.split('?')[0]!, expect(await v.request('GET', payUrl), 200, 'the payment step'));
    const orderPath = payUrl.split('/pay')[0]!;
    const token = new URL(payUrl, 'http://x').searchParams.get('t') ?? '';
    keep('provider return (unknown payment)', '/checkout/return/:id', await v.request('GET', `/checkout/return/${orderPath.split('/')[2]}?t=${encodeURIComponent(token)}&payment=pay_unknown`));
    keep('not found under /checkout', '/checkout/nothing-here', await v.request('GET', '/checkout/nothing-here'));

    // Bank transfer: the thank-you page.
    await addToCart(false);
    await v.request('GET', '/checkout');
    expect(await v.request('POST', '/checkout/confirm', { _csrf: v.csrf(), ...GUEST, payment_method: 'bank_transfer' }), 200, 'the confirmation (bank transfer)');
    const done = expect(await v.request('POST', '/checkout/place', v.hiddenFields('/checkout/place')), [302, 303], 'placing the bank-transfer order');
    const thanks = String(done.headers.location ?? '');
    keep('thank-you page', '/orders/:id?thanks=1', expect(await v.request('GET', thanks), 200, 'the thank-you page'));
    await opts.inspect?.(app, services);
    return pages;
  } finally {
    await app?.close();
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The current SRI of the file behind a same-origin script path. */
export function liveScriptHash(path: string): string | null {
  const file = staticFile(path);
  if (!file) return null;
  try {
    return sri384(readFileSync(file));
  } catch {
    return null;
  }
}

export interface InventoryCheckResult {
  pages: { name: string; path: string; status: number; scripts: number }[];
  problems: InventoryProblem[];
}

/** Renders the payment path and compares its scripts with the inventory (the build's check). */
export async function checkScriptInventory(opts: PaymentPathOptions & { inventory?: ScriptInventory } = {}): Promise<InventoryCheckResult> {
  const pages = await renderPaymentPath(opts);
  const problems = checkPagesAgainstInventory(pages, opts.inventory ?? scriptInventory(), { shopOrigin: new URL(opts.publicUrl ?? ORIGIN).origin, fileHash: liveScriptHash });
  return { pages: pages.map((p) => ({ name: p.name, path: p.path, status: p.status, scripts: extractScripts(p.html).length })), problems };
}
