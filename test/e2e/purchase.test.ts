import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { PG_URL, startTestShop, type Dialect, type TestShop } from '../helpers/shop.js';
import { launchBrowser, newVisitor, screenshot, skip, waitForMail, type BrowserHandle } from './helpers.js';

/**
 * End-to-end purchases in a real Chromium, driven the way a person uses the shop: links and buttons
 * by their visible Japanese text, fields by their labels. The card is only ever typed on the
 * payment provider's own origin.
 *
 *   node --import tsx --test test/e2e/purchase.test.ts
 */

/** `YYMMDD-` and six Crockford base32 characters (no I, L, O, U). */
const ORDER_NUMBER = /^\d{6}-[0-9A-HJKMNP-TV-Z]{6}$/;
/** A name or autocomplete token that means "card number" (or the other card secrets). */
const CARD_FIELD = /cc-number|cc-csc|cc-exp|card[-_ ]?(number|no)\b|cardnumber|cardnum|\bpan\b|\bcvc\b|\bcvv\b/i;

// --- Small helpers ------------------------------------------------------------------------------

function fieldset(page: Page, legend: string): Locator {
  return page.locator('fieldset', { has: page.locator(`legend:text-is("${legend}")`) });
}

/** Retries `check` until it passes (the postal-code lookup is asynchronous). */
async function eventually(check: () => Promise<void>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** `¥2,052` → 2052 (the first amount in the text). */
function yen(text: string): number {
  const m = /¥([\d,]+)/.exec(text);
  assert.ok(m, `an amount in ${JSON.stringify(text)}`);
  return Number(m[1]!.replace(/,/g, ''));
}

/** Gives up on a clean-up step that hangs (a stuck shop must not keep the test process alive). */
async function within(ms: number, what: string, p: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), ms);
  });
  const result = await Promise.race([p.then(() => 'done' as const), timeout]).finally(() => clearTimeout(timer));
  if (result === 'timeout') console.error(`warning: ${what} did not finish within ${ms} ms`);
  return result === 'done';
}

async function mainText(page: Page): Promise<string> {
  return page.locator('main').innerText();
}

/** Types a postal code key by key and waits for the shop's script to fill the address. */
async function typePostal(scope: Locator, code: string, prefecture: string): Promise<void> {
  const postal = scope.getByLabel('郵便番号');
  await postal.click();
  await postal.pressSequentially(code);
  await eventually(async () => assert.equal(await scope.getByLabel('都道府県').inputValue(), prefecture));
}

interface CardFieldSighting {
  origin: string;
  url: string;
  field: string;
}

/**
 * Records every input that looks like a card field, on every page of the context: in the HTML of
 * every document served, and in the live DOM after each load (catches inputs added by a script).
 */
function watchCardFields(context: BrowserContext): { seen: CardFieldSighting[]; settle(): Promise<void> } {
  const seen: CardFieldSighting[] = [];
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const record = (url: string, fields: string[]) => {
    for (const field of fields) if (CARD_FIELD.test(field)) seen.push({ origin: new URL(url).origin, url, field });
  };
  context.on('response', (res) => {
    if (res.request().resourceType() !== 'document' || res.status() >= 300 && res.status() < 400) return;
    track(
      res.text().then(
        (html) => record(res.url(), [...html.matchAll(/<input\b[^>]*>/gi)].flatMap((m) => [...m[0].matchAll(/\b(?:name|autocomplete|id)="([^"]*)"/gi)].map((a) => a[1]!))),
        () => undefined,
      ),
    );
  });
  const watchPage = (page: Page) => {
    page.on('load', () => {
      const url = page.url();
      track(
        page
          .evaluate(`[...document.querySelectorAll('input, textarea')].flatMap((i) => [i.name, i.id, i.getAttribute('autocomplete') || ''])`)
          .then((fields) => record(url, fields as string[]), () => undefined),
      );
    });
  };
  context.pages().forEach(watchPage);
  context.on('page', watchPage);
  return {
    seen,
    async settle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

/** Fails the test on a script error in any page of the shop (the storefront script must not break). */
function watchScriptErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`));
  return errors;
}

// --- Scenarios ----------------------------------------------------------------------------------

async function guestGiftBankTransfer(shop: TestShop, handle: BrowserHandle, label: string): Promise<void> {
  const { context, page } = await newVisitor(handle.browser);
  const cards = watchCardFields(context);
  const scriptErrors = watchScriptErrors(page);
  try {
    // Top page → a category → a product → a variant → カートに入れる.
    await page.goto(`${shop.url}/`);
    await page.locator('ul.cats').getByRole('link', { name: '緑茶' }).click();
    await page.waitForURL(/\/categories\/green-tea$/);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), '緑茶');
    await page.getByRole('link', { name: /深蒸し煎茶「まもり」/ }).click();
    await page.waitForURL(/\/products\/fukamushi-sencha$/);
    await page.locator('label.variant', { hasText: '200g' }).click();
    assert.ok(await page.getByRole('radio', { name: /200g/ }).isChecked());
    await page.getByRole('button', { name: 'カートに入れる' }).click();

    // The cart shows it.
    await page.waitForURL(/\/cart/);
    const cartText = await mainText(page);
    assert.match(cartText, /深蒸し煎茶「まもり」/);
    assert.match(cartText, /GT-SEN-200/);
    assert.match(cartText, /¥2,052/);
    await page.getByRole('link', { name: 'ご購入手続きへ' }).click();
    await page.waitForURL(/\/checkout$/);

    // The orderer, with a FAX number.
    const orderer = fieldset(page, 'ご注文者');
    await orderer.getByLabel('氏名').fill('山田 太郎');
    await orderer.getByLabel('フリガナ').fill('ヤマダ タロウ');
    await typePostal(orderer, '1000001', '東京都');
    await orderer.getByLabel('住所1').fill('千代田区千代田1-1');
    await orderer.getByLabel('住所2').fill('まもりビル101');
    await orderer.getByLabel('電話番号').fill('03-1234-5678');
    await orderer.getByLabel('FAX番号').fill('03-1234-5679');
    await orderer.getByLabel('メールアドレス').fill('taro@example.jp');

    // A gift to someone else.
    const ship = fieldset(page, 'お届け先');
    await ship.getByRole('radio', { name: '別の住所へ届ける（ギフトなど）' }).check();
    await ship.getByLabel('氏名').fill('佐藤 花子');
    await ship.getByLabel('フリガナ').fill('サトウ ハナコ');
    await typePostal(ship, '5300001', '大阪府');
    await ship.getByLabel('住所1').fill('大阪市北区梅田1-1-1');
    await ship.getByLabel('住所2').fill('梅田ハイツ202');
    await ship.getByLabel('電話番号').fill('06-1234-5678');

    // A delivery date (the fifth offered) and a time slot.
    const when = fieldset(page, 'お届け希望日時');
    const dateSelect = when.getByLabel('お届け希望日');
    const dateLabel = (await dateSelect.locator('option').nth(5).innerText()).trim();
    await dateSelect.selectOption({ label: dateLabel });
    await when.getByLabel('時間帯').selectOption({ label: '14-16時' });

    await fieldset(page, 'お支払い方法').getByRole('radio', { name: /銀行振込/ }).check();
    await page.getByRole('button', { name: 'ご注文内容の確認へ' }).click();

    // The confirmation page: both addresses and the totals (¥2,052 plus shipping).
    await page.waitForURL(/\/checkout\/confirm$/);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'ご注文内容の確認');
    const confirm = await mainText(page);
    for (const s of ['山田 太郎 様', '東京都千代田区千代田1-1 まもりビル101', '03-1234-5679', 'taro@example.jp',
      '佐藤 花子 様', '大阪府大阪市北区梅田1-1-1 梅田ハイツ202', '06-1234-5678', dateLabel, '14-16', '銀行振込']) {
      assert.ok(confirm.includes(s), `confirmation page shows ${s}`);
    }
    assert.match(confirm, /〒100-?0001 東京都/);
    assert.match(confirm, /〒530-?0001 大阪府/);
    const totals = page.locator('table.totals');
    const items = yen(await totals.locator('tr', { hasText: '商品合計' }).innerText());
    const shipping = yen(await totals.locator('tr', { hasText: '送料' }).innerText());
    const total = yen(await totals.locator('tr.grand').innerText());
    assert.equal(items, 2052);
    assert.ok(shipping > 0 && shipping < 3000, `a shipping fee (${shipping}) under the free-shipping threshold`);
    assert.equal(total, items + shipping);
    const totalText = `¥${total.toLocaleString('en-US')}`;

    await page.getByRole('button', { name: '注文を確定する' }).click();

    // The thank-you page.
    await page.waitForURL(/\/orders\/ord_[0-9A-Z]{16}\?.*thanks=1/);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'ご注文ありがとうございました');
    const orderNumber = (await page.locator('.order-number').innerText()).trim();
    assert.match(orderNumber, ORDER_NUMBER);
    const url = new URL(page.url());
    // Nothing in the address is a small sequential id: the path is an opaque id, the query a token.
    assert.ok(!url.pathname.split('/').some((seg) => /^\d+$/.test(seg)), `no numeric id in ${url.pathname}`);
    for (const [k, v] of url.searchParams) if (k !== 'thanks') assert.ok(!/^\d{1,9}$/.test(v), `query ${k} is not a number`);
    assert.ok(!url.href.includes(orderNumber), 'the order number is not the URL key');

    const bank = page.locator('#bank-transfer');
    assert.match(await bank.getByRole('heading').innerText(), /お振込先/);
    const bankText = await bank.innerText();
    assert.match(bankText, /みずほ銀行（デモ） 丸の内支店/);
    assert.match(bankText, /普通 1234567/);
    assert.ok(bankText.includes(totalText), `the amount to transfer is ${totalText}`);
    assert.ok(bankText.includes(orderNumber));
    const thanks = await mainText(page);
    for (const s of ['山田 太郎 様', '〒100-0001 東京都千代田区千代田1-1', 'FAX', '03-1234-5679', '佐藤 花子 様', '〒530-0001 大阪府大阪市北区梅田1-1-1', dateLabel, totalText]) {
      assert.ok(thanks.includes(s), `thank-you page shows ${s}`);
    }
    await screenshot(page, `thank-you-bank-transfer-${label}`);

    // The confirmation e-mail, with the order number, the FAX number and the bank account.
    const mail = await waitForMail(join(shop.dataDir, 'mail'), new RegExp(orderNumber), { to: 'taro@example.jp' });
    assert.match(mail.subject, new RegExp(`ご注文番号 ${orderNumber}`));
    assert.match(mail.text, /FAX 03-1234-5679/);
    assert.match(mail.text, /佐藤 花子 様/);
    assert.match(mail.text, /お振込先/);
    assert.match(mail.text, /1234567/);
    assert.ok(mail.text.includes(totalText.replace('¥', '').concat('円')), `the mail shows the total ${totalText}`);
    assert.ok(mail.text.includes(url.pathname), 'the mail links to the order page');

    await cards.settle();
    assert.deepEqual(cards.seen, [], 'no card field anywhere in a bank-transfer purchase');
    assert.deepEqual(scriptErrors, []);
  } finally {
    await context.close();
  }
}

async function register(page: Page, shop: TestShop, who: { email: string; password: string; name: string; kana: string }): Promise<void> {
  await page.goto(`${shop.url}/`);
  await page.locator('header').getByRole('link', { name: 'ログイン' }).click();
  await page.getByRole('link', { name: '会員登録（無料）' }).click();
  await page.waitForURL(/\/register$/);
  const form = page.locator('form.panel');
  await form.getByLabel('メールアドレス').fill(who.email);
  await form.getByLabel('パスワード').fill(who.password);
  await form.getByLabel('氏名').fill(who.name);
  await form.getByLabel('フリガナ').fill(who.kana);
  await typePostal(form, '1000001', '東京都');
  await form.getByLabel('住所1').fill('千代田区千代田2-2');
  await form.getByLabel('電話番号').fill('090-1234-5678');
  await form.getByLabel('FAX番号').fill('03-9876-5432');
  await page.getByRole('button', { name: '登録して確認メールを受け取る' }).click();
  await page.getByRole('heading', { name: '確認メールをお送りしました' }).waitFor();

  // The verification link from the mail.
  const mail = await waitForMail(join(shop.dataDir, 'mail'), /\/verify\?token=/, { to: who.email });
  const link = /https?:\/\/\S+\/verify\?token=[A-Za-z0-9_-]+/.exec(mail.text)?.[0];
  assert.ok(link, 'the verification mail has a link');
  assert.equal(new URL(link).origin, shop.url);
  await page.goto(link);
  await page.getByRole('heading', { name: 'メールアドレスを確認しました' }).waitFor();

  await page.locator('main').getByRole('link', { name: 'ログイン' }).click();
  await page.waitForURL(/\/login/);
  await page.locator('form.panel').getByLabel('メールアドレス').fill(who.email);
  await page.locator('form.panel').getByLabel('パスワード').fill(who.password);
  await page.locator('form.panel').getByRole('button', { name: 'ログイン' }).click();
  await page.waitForURL(/\/account$/);
  assert.ok((await mainText(page)).includes(`${who.name} 様`));
}

async function memberCardWith3ds(shop: TestShop, handle: BrowserHandle): Promise<void> {
  const pspOrigin = new URL(shop.pspUrl).origin;
  const first = await newVisitor(handle.browser);
  const second = await newVisitor(handle.browser);
  const cards = watchCardFields(first.context);
  const page = first.page;
  const scriptErrors = watchScriptErrors(page);
  const member = { email: `hanako.${Date.now()}@example.jp`, password: 'Matcha-to-Yokan-2025', name: '鈴木 花子', kana: 'スズキ ハナコ' };
  try {
    await register(page, shop, member);

    // A product, into the cart.
    await page.locator('header').getByRole('link', { name: '商品一覧' }).click();
    await page.getByRole('link', { name: /宇治玉露/ }).click();
    await page.waitForURL(/\/products\/uji-gyokuro$/);
    await page.getByRole('button', { name: 'カートに入れる' }).click();
    await page.waitForURL(/\/cart/);
    assert.match(await mainText(page), /宇治玉露/);
    await page.getByRole('link', { name: 'ご購入手続きへ' }).click();

    // The form is prefilled from the profile; a member needs no FAX or e-mail typed again.
    await page.waitForURL(/\/checkout$/);
    const orderer = fieldset(page, 'ご注文者');
    assert.equal(await orderer.getByLabel('氏名').inputValue(), member.name);
    assert.equal(await orderer.getByLabel('フリガナ').inputValue(), member.kana);
    assert.equal(await orderer.getByLabel('都道府県').inputValue(), '東京都');
    assert.equal(await orderer.getByLabel('住所1').inputValue(), '千代田区千代田2-2');
    assert.equal(await orderer.getByLabel('FAX番号').inputValue(), '03-9876-5432');
    assert.equal(await orderer.getByLabel('メールアドレス').inputValue(), member.email);
    assert.ok(await fieldset(page, 'お届け先').getByRole('radio', { name: 'ご注文者の住所へ届ける' }).isChecked());
    await fieldset(page, 'お支払い方法').getByRole('radio', { name: /クレジットカード/ }).check();
    await page.getByRole('button', { name: 'ご注文内容の確認へ' }).click();
    await page.waitForURL(/\/checkout\/confirm$/);
    assert.match(await mainText(page), /クレジットカード/);
    const total = (await page.locator('table.totals tr.grand td').innerText()).trim();

    // To the provider's page, on another origin.
    await page.getByRole('button', { name: 'カード決済へ進む（注文を確定）' }).click();
    await page.waitForURL((u) => u.origin === pspOrigin && /^\/pay\/[^/]+$/.test(u.pathname));
    assert.ok((await page.locator('main').innerText()).includes(total.replace(/^¥/, '')), `the provider shows the amount ${total}`);
    const payWithCard = async (number: string) => {
      await page.getByLabel('カード番号').fill(number);
      await page.getByLabel('有効期限').fill('12/34');
      await page.getByLabel('セキュリティコード').fill('123');
      await page.getByLabel('カード名義').fill('HANAKO SUZUKI');
      await page.getByRole('button', { name: /円を支払う/ }).click();
    };

    // A declined card: the buyer is told, and can try again.
    await payWithCard('4000000000000002');
    await page.waitForURL((u) => u.origin === shop.url || (u.origin === pspOrigin && u.pathname.startsWith('/pay/')));
    await page.getByRole('alert').first().waitFor();
    assert.match(await page.getByRole('alert').first().innerText(), /カードが(承認されませんでした|ご利用いただけませんでした)/);
    if (new URL(page.url()).origin === shop.url) {
      // The shop's retry page: back to the provider.
      assert.match(page.url(), /\/orders\/ord_[0-9A-Z]{16}\/pay\?/);
      await page.getByRole('button', { name: 'カード決済ページへ進む' }).click();
      await page.waitForURL((u) => u.origin === pspOrigin && /^\/pay\/[^/]+$/.test(u.pathname));
    }

    // A card that needs 3-D Secure: the challenge, then the sandbox code.
    await payWithCard('4000000000003220');
    await page.waitForURL((u) => u.origin === pspOrigin && u.pathname.endsWith('/3ds'));
    assert.match(await page.locator('main').innerText(), /•••• 3220/);
    // A person takes a few seconds to read the code from their phone. The pause matters: a shop that
    // only works when its caches are still warm from the previous page fails here, as it would for
    // a real buyer.
    await page.waitForTimeout(2500);
    await page.getByLabel('ワンタイムパスワード').fill('123456');
    // Back on the shop: paid. (A shop that never answers the return URL is a hang, not a slow page.)
    try {
      await page.getByRole('button', { name: /認証する/ }).click();
      await page.waitForURL((u) => u.origin === shop.url && /^\/orders\/ord_[0-9A-Z]{16}$/.test(u.pathname) && u.searchParams.get('thanks') === '1');
    } catch (err) {
      throw new Error(`the shop did not answer the buyer's return from the provider (still at ${page.url()}): ${String(err).split('\n')[0]}`);
    }
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'ご注文ありがとうございました');
    const orderNumber = (await page.locator('.order-number').innerText()).trim();
    assert.match(orderNumber, ORDER_NUMBER);
    const summary = await page.locator('dl.kv').first().innerText();
    assert.match(summary, /お支払い済み/);
    assert.match(summary, /VISA 末尾 3220/);
    assert.equal(await page.locator('#bank-transfer').count(), 0);
    await screenshot(page, 'thank-you-card');
    const orderId = /ord_[0-9A-Z]{16}/.exec(page.url())![0];

    // マイページ lists it.
    await page.locator('header').getByRole('link', { name: 'マイページ' }).click();
    await page.waitForURL(/\/account$/);
    const row = page.locator('table tr', { hasText: orderNumber });
    assert.match(await row.innerText(), /お支払い済み/);
    await row.getByRole('link', { name: orderNumber }).click();
    await page.waitForURL(new RegExp(`/account/orders/${orderId}$`));
    assert.match(await mainText(page), /VISA 末尾 3220/);

    // Another member cannot open it.
    await register(second.page, shop, { email: `jiro.${Date.now()}@example.jp`, password: 'Hojicha-and-Dango-77', name: '田中 次郎', kana: 'タナカ ジロウ' });
    const res = await second.page.goto(`${shop.url}/account/orders/${orderId}`);
    assert.equal(res?.status(), 404);
    assert.ok(!(await second.page.locator('body').innerText()).includes(orderNumber));

    // The card number was only ever asked for on the provider's origin.
    await cards.settle();
    const onShop = cards.seen.filter((s) => s.origin !== pspOrigin);
    assert.deepEqual(onShop, [], 'no card field on any page outside the provider');
    assert.ok(cards.seen.some((s) => s.origin === pspOrigin && /cc-number/.test(s.field)), 'the provider page asked for the card number');
    assert.deepEqual(scriptErrors, []);
  } finally {
    await first.context.close();
    await second.context.close();
  }
}

async function postalAutofill(shop: TestShop, handle: BrowserHandle): Promise<void> {
  const { context, page } = await newVisitor(handle.browser);
  try {
    await page.goto(`${shop.url}/products/ogura-yokan`);
    await page.getByRole('button', { name: 'カートに入れる' }).click();
    await page.waitForURL(/\/cart/);
    await page.getByRole('link', { name: 'ご購入手続きへ' }).click();
    await page.waitForURL(/\/checkout$/);
    const orderer = fieldset(page, 'ご注文者');
    const lookup = page.waitForResponse((r) => r.url().startsWith(`${shop.url}/api/postal?`));
    await orderer.getByLabel('郵便番号').pressSequentially('1000001');
    assert.equal((await lookup).status(), 200);
    await eventually(async () => {
      assert.equal(await orderer.getByLabel('都道府県').inputValue(), '東京都');
      assert.match(await orderer.getByLabel('住所1').inputValue(), /^千代田区/);
    });
    assert.match(await orderer.locator('.postal-status').innerText(), /東京都千代田区.*を入力しました/);
    // The recipient's fields are a separate group and stay empty.
    assert.equal(await fieldset(page, 'お届け先').getByLabel('都道府県').inputValue(), '');
  } finally {
    await context.close();
  }
}

// --- Suites -------------------------------------------------------------------------------------

function shopSuite(dialect: Dialect) {
  let shop: TestShop | undefined;
  let browser: BrowserHandle | undefined;
  before(async () => {
    [shop, browser] = await Promise.all([startTestShop({ dialect, workers: true }), launchBrowser()]);
  });
  after(async () => {
    await within(10_000, 'closing the browser', browser?.close() ?? Promise.resolve());
    if (shop && !(await within(5000, `closing the ${dialect} shop`, shop.close()))) {
      // A shop stuck on its database never finishes closing: free what would keep the process alive.
      shop.shop.app.server.closeAllConnections();
      await within(5000, 'closing the payment provider', shop.psp.close());
    }
  });
  return () => ({ shop: shop!, browser: browser! });
}

describe('purchases in a browser (SQLite)', { skip }, () => {
  const ctx = shopSuite('sqlite');
  test('a guest sends a gift by bank transfer, with a FAX number', async () => {
    const { shop, browser } = ctx();
    await guestGiftBankTransfer(shop, browser, 'sqlite');
  });
  test('typing a postal code fills the prefecture and the address', async () => {
    const { shop, browser } = ctx();
    await postalAutofill(shop, browser);
  });
  test('a new member pays by card: a decline, then 3-D Secure; only they see the order', async () => {
    const { shop, browser } = ctx();
    await memberCardWith3ds(shop, browser);
  });
});

describe('purchases in a browser (PostgreSQL)', { skip: skip || (PG_URL ? false : 'TEST_DATABASE_URL not set') }, () => {
  const ctx = shopSuite('postgres');
  test('a guest sends a gift by bank transfer, with a FAX number', async () => {
    const { shop, browser } = ctx();
    await guestGiftBankTransfer(shop, browser, 'postgres');
  });
});
