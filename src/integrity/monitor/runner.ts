import { createHash, randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { monitorIdentity } from './identity.js';
import { normaliseHeader, normalisePath, normaliseUrl, originOf, SECURITY_HEADERS, type Observation, type ScriptFact, type StepFact, type StepName } from './observation.js';

/**
 * One walk through the buyer path in a fresh browser context, as a buyer makes it: a product page,
 * into the cart, the checkout form filled with the monitor identity, the confirmation, and the
 * click that places the order and leads to the payment provider. It stops on the provider's page:
 * nothing is ever typed there. Everything the pages contained and did is recorded per step.
 */

export interface WalkOptions {
  shopUrl: string;
  token: string;
  /** A product page (`/products/slug`); by default the first product in stock on `/products`. */
  productPath?: string | null;
  /** Per navigation or action. */
  timeoutMs?: number;
  /** Told each phase as it starts (diagnostics). */
  trace?: (phase: string) => void;
}

interface Collector {
  step: StepName | null;
  requestOrigins: Set<string>;
  doc: { status: number; headers: Record<string, string> } | null;
}

interface DomSnapshot {
  scripts: { src: string | null; text: string | null }[];
  handlers: { where: string; code: string }[];
  iframes: string[];
  forms: { action: string; method: string }[];
  inputs: { form: string | null; name: string; type: string; autocomplete: string; hints: string }[];
  blocked: { directive: string; uri: string }[];
}

const sha384 = (data: Buffer | string) => createHash('sha384').update(data).digest('base64');

/** Runs in the page: what the document holds right now (a string, so no bundler transforms it). */
const SNAPSHOT = (violationsKey: string) => `(() => {
  const abs = (u) => { try { return new URL(u, location.href).href; } catch { return String(u); } };
  const scripts = [...document.querySelectorAll('script')].map((s) => s.hasAttribute('src') ? { src: abs(s.getAttribute('src')), text: null } : { src: null, text: s.textContent || '' });
  const handlers = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const n = a.name.toLowerCase();
      if (n.startsWith('on')) handlers.push({ where: el.tagName.toLowerCase() + '[' + n + ']', code: a.value });
      else if ((n === 'href' || n === 'src' || n === 'action' || n === 'formaction' || n === 'data') && /^\\s*javascript:/i.test(a.value)) handlers.push({ where: el.tagName.toLowerCase() + '[' + n + '=javascript:]', code: a.value });
    }
  }
  const iframes = [...document.querySelectorAll('iframe, frame, object, embed')].map((f) => abs(f.getAttribute('src') || f.getAttribute('data') || 'about:blank'));
  const forms = [];
  const actionOf = (f) => abs(f.getAttribute('action') || location.href);
  for (const f of document.forms) forms.push({ action: actionOf(f), method: (f.getAttribute('method') || 'get').toLowerCase() });
  for (const b of document.querySelectorAll('[formaction]')) forms.push({ action: abs(b.getAttribute('formaction')), method: (b.getAttribute('formmethod') || (b.form && b.form.getAttribute('method')) || 'get').toLowerCase() });
  const inputs = [...document.querySelectorAll('input, select, textarea')].map((i) => ({
    form: i.form ? actionOf(i.form) : null,
    name: i.getAttribute('name') || '',
    type: (i.tagName === 'INPUT' ? (i.getAttribute('type') || 'text') : i.tagName).toLowerCase(),
    autocomplete: i.getAttribute('autocomplete') || '',
    hints: [i.id, i.getAttribute('placeholder'), i.getAttribute('aria-label'), i.labels && i.labels[0] ? i.labels[0].textContent : ''].filter(Boolean).join(' ').replace(/\\s+/g, ' ').slice(0, 500),
  }));
  const v = window[${JSON.stringify(violationsKey)}];
  return { scripts, handlers, iframes, forms, inputs, blocked: typeof v === 'function' ? v() : [] };
})()`;

/** Installed before any page script runs: collects CSP violations under a random, non-enumerable name. */
const VIOLATIONS = (key: string) => `(() => {
  const seen = [];
  document.addEventListener('securitypolicyviolation', (e) => { if (seen.length < 200) seen.push({ directive: e.effectiveDirective || e.violatedDirective || '', uri: e.blockedURI || '' }); }, true);
  Object.defineProperty(window, ${JSON.stringify(key)}, { value: () => seen.slice(), enumerable: false });
})()`;

export async function walkBuyerPath(browser: Browser, opts: WalkOptions): Promise<Observation> {
  const shop = new URL(opts.shopUrl);
  const shopOrigin = shop.origin;
  const timeout = opts.timeoutMs ?? 15_000;
  const startedAt = new Date().toISOString();
  const steps: StepFact[] = [];
  const redirects: Observation['redirects'] = [];
  let providerOrigin: string | null = null;
  let cardUnavailable = false;
  let error: string | null = null;

  const context: BrowserContext = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo', viewport: { width: 1100, height: 900 }, serviceWorkers: 'block' });
  context.setDefaultTimeout(timeout);
  context.setDefaultNavigationTimeout(timeout);
  const violationsKey = `__m${randomBytes(6).toString('hex')}`;
  await context.addInitScript({ content: VIOLATIONS(violationsKey) });
  const page: Page = await context.newPage();

  let current: Collector = { step: null, requestOrigins: new Set(), doc: null };
  let afterConfirm = false;
  const scriptHashes = new Map<string, string>();
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const settle = async () => {
    while (pending.size) await Promise.allSettled([...pending]);
  };

  context.on('request', (req) => current.requestOrigins.add(originOf(req.url())));
  context.on('response', (res: Response) => {
    const req = res.request();
    if (req.resourceType() === 'script' && res.status() < 300) {
      track(res.body().then((b) => void scriptHashes.set(normaliseUrl(res.url()), sha384(b)), () => undefined));
    }
    if (req.isNavigationRequest() && res.frame() === page.mainFrame()) {
      const collector = current;
      track(
        res.allHeaders().then((h) => {
          const status = res.status();
          if (status >= 300 && status < 400) {
            if (afterConfirm) redirects.push({ from: normaliseUrl(res.url()), status, to: normaliseUrl(h.location ?? '', res.url()) });
            return;
          }
          const headers: Record<string, string> = {};
          for (const name of SECURITY_HEADERS) if (h[name] !== undefined) headers[name] = normaliseHeader(name, h[name]);
          collector.doc = { status, headers };
        }, () => undefined),
      );
    }
  });

  /** Starts recording a new step: requests from here on are this step's. */
  const begin = (step: StepName | null) => {
    opts.trace?.(`begin ${step ?? '-'}`);
    current = { step, requestOrigins: new Set(), doc: null };
  };
  /** Records the page as it is now under the current step. */
  const snapshot = async (): Promise<StepFact> => {
    opts.trace?.(`snapshot ${current.step ?? '-'}`);
    await page.waitForLoadState('load');
    await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => undefined);
    await settle();
    opts.trace?.('evaluate');
    const dom = (await page.evaluate(SNAPSHOT(violationsKey))) as DomSnapshot;
    await settle();
    const url = new URL(page.url());
    const scripts: ScriptFact[] = [
      ...dom.scripts.map((s): ScriptFact => s.src !== null
        ? { kind: 'external', src: normaliseUrl(s.src), sha384: scriptHashes.get(normaliseUrl(s.src)) ?? null, sample: null }
        : { kind: 'inline', src: null, sha384: sha384(s.text ?? ''), sample: (s.text ?? '').trim().slice(0, 300) }),
      ...dom.handlers.map((h): ScriptFact => ({ kind: h.where.includes('javascript:') ? 'javascript-url' : 'handler', src: h.where, sha384: sha384(h.code), sample: h.code.slice(0, 300) })),
    ];
    const fact: StepFact = {
      step: current.step!,
      origin: url.origin,
      path: normalisePath(url.pathname),
      status: current.doc?.status ?? 0,
      headers: current.doc?.headers ?? {},
      scripts,
      iframes: [...new Set(dom.iframes.map((f) => normaliseUrl(f)))],
      forms: dom.forms.map((f) => ({ action: normaliseUrl(f.action), method: f.method })),
      inputs: dom.inputs.map((i) => ({ ...i, form: i.form === null ? null : normaliseUrl(i.form) })),
      requestOrigins: [...current.requestOrigins].filter((o) => o.startsWith('http') || o.startsWith('ws')).sort(),
      blocked: dom.blocked.map((b) => ({ directive: b.directive, uri: /^[a-z-]+$/.test(b.uri) ? b.uri : normaliseUrl(b.uri) })),
    };
    steps.push(fact);
    return fact;
  };

  /** The CSP's form-action refused the submission itself (nothing navigates): polls the recorded violations. */
  const formActionRefused = async (): Promise<{ url: string; reason: string }> => {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      if (navigated) return new Promise<never>(() => undefined);
      const v = (await page.evaluate(`(window[${JSON.stringify(violationsKey)}] || (() => []))()`).catch(() => [])) as { directive: string; uri: string }[];
      const refused = v.find((x) => x.directive === 'form-action');
      if (refused) return { url: refused.uri, reason: 'refused by the CSP form-action' };
    }
    // Past the timeout the navigation wait has failed already: this racer never wins.
    return new Promise<never>(() => undefined);
  };
  let navigated = false;

  const identity = monitorIdentity(opts.token);
  try {
    // 1. A product page with something in stock.
    let productUrl: string;
    if (opts.productPath) {
      productUrl = new URL(opts.productPath, shop).href;
    } else {
      begin(null);
      await page.goto(new URL('/products', shop).href);
      const hrefs = await page.locator('main a[href^="/products/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
      const first = [...new Set(hrefs)].find((h) => /^\/products\/[^/?#]+$/.test(h));
      if (!first) throw new Error('no product listed on /products');
      productUrl = new URL(first, shop).href;
    }
    begin('product');
    await page.goto(productUrl);
    await snapshot();
    const add = page.locator('form[action="/cart/add"] button[type="submit"]');
    if (!(await add.isEnabled())) throw new Error(`the product at ${new URL(productUrl).pathname} is out of stock (set MONITOR_PRODUCT_PATH)`);

    // 2. Into the cart.
    begin('cart');
    await add.click();
    await page.waitForURL((u) => u.pathname.startsWith('/cart'));
    await snapshot();

    // 3. The checkout form.
    begin('checkout');
    await page.locator('main a[href="/checkout"]').first().click();
    await page.waitForURL((u) => u.pathname === '/checkout');
    await snapshot();
    const card = page.locator('input[name="payment_method"][value="card"]');
    if ((await card.count()) === 0 || !(await card.isEnabled())) {
      cardUnavailable = true;
      return finish();
    }
    const form = page.locator('form:has(input[name="orderer_name"])');
    await form.locator('[name="orderer_name"]').fill(identity.name);
    await form.locator('[name="orderer_kana"]').fill(identity.kana);
    await form.locator('[name="orderer_postal"]').fill(identity.postalCode);
    await form.locator('[name="orderer_prefecture"]').selectOption(identity.prefecture);
    await form.locator('[name="orderer_address1"]').fill(identity.address1);
    await form.locator('[name="orderer_phone"]').fill(identity.phone);
    await form.locator('[name="orderer_email"]').fill(identity.email);
    const shipToOrderer = form.locator('input[name="ship_to"][value="orderer"]');
    if (await shipToOrderer.count()) await shipToOrderer.check();
    await card.check();

    // 4. The confirmation.
    begin('confirm');
    await form.locator('button[type="submit"]').last().click();
    await page.waitForURL((u) => u.pathname === '/checkout/confirm');
    await page.waitForLoadState('load');
    if ((await page.locator('input[name="checkout_token"]').count()) === 0) {
      const problems = (await page.locator('.field-error, [role="alert"]').allInnerTexts()).join(' / ');
      await snapshot();
      throw new Error(`the confirmation page was not shown${problems ? `: ${problems.slice(0, 300)}` : ''}`);
    }
    await snapshot();

    // 5. Placing the order leads to the provider; the monitor stops on its page.
    begin('interstitial');
    afterConfirm = true;
    // A navigation the browser refuses (a redirect outside the CSP's form-action, an unknown host)
    // ends here at once instead of after the timeout: where it tried to go is the finding.
    const failed = new Promise<{ url: string; reason: string }>((resolve) => {
      page.on('requestfailed', (r) => {
        if (r.isNavigationRequest() && r.frame() === page.mainFrame()) resolve({ url: r.url(), reason: r.failure()?.errorText ?? 'failed' });
      });
    });
    await page.locator('form:has(input[name="checkout_token"]) button[type="submit"]').first().click({ noWaitAfter: true });
    let outcome: { url: string; reason: string } | null;
    try {
      outcome = await Promise.race([
        page.waitForURL((u) => u.origin !== shopOrigin || u.pathname !== '/checkout/confirm').then(() => null),
        failed,
        formActionRefused(),
      ]);
    } finally {
      navigated = true; // ends the polling, whichever way the race went
    }
    if (outcome) {
      const origin = originOf(outcome.url);
      if (origin !== shopOrigin) providerOrigin = origin;
      throw new Error(`placing the order led to ${normaliseUrl(outcome.url)}, which the browser did not open (${outcome.reason})`);
    }
    await page.waitForLoadState('load');
    if (new URL(page.url()).origin === shopOrigin) {
      // A page of the shop between the confirmation and the provider: a fake payment form looks like this.
      await snapshot();
    } else {
      providerOrigin = new URL(page.url()).origin;
      current.step = 'provider';
      await snapshot();
    }
  } catch (err) {
    error = err instanceof Error ? err.message.split('\n')[0]!.slice(0, 1000) : String(err).slice(0, 1000);
  }
  return finish();

  async function finish(): Promise<Observation> {
    opts.trace?.('finish');
    await settle().catch(() => undefined);
    await context.close().catch(() => undefined);
    return { version: 1, startedAt, finishedAt: new Date().toISOString(), shopOrigin, cardUnavailable, error, steps, redirects, providerOrigin };
  }
}
