import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { startTestShop, type TestShop } from '../helpers/shop.js';
import { launchBrowser, newVisitor, screenshot, staffPage, skip, waitForMail, type BrowserHandle } from './helpers.js';

/**
 * A phone order paid by card without anyone hearing the card number, in a real Chromium: a staff
 * member enters the order in the admin console (live totals from the console's script), Mamori mails
 * the buyer a payment link, the buyer opens it, pays on the sandbox provider's page, and the order
 * turns paid.
 *
 *   node --import tsx --test test/e2e/phone-order.test.ts
 */

const BUYER_EMAIL = 'denwa.kyaku@example.jp';
const yen = (s: string) => Number(s.replace(/[^\d]/g, ''));

/** A field by its visible label; the console marks required ones with a 「必須」 tag. */
function field(scope: Page | Locator, label: string): Locator {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return scope.getByLabel(new RegExp(`^\\s*${escaped}\\s*(必須)?\\s*$`));
}

async function mainText(page: Page): Promise<string> {
  return page.locator('main').innerText();
}

describe('a phone order paid through a payment link', { skip }, () => {
  let shop: TestShop;
  let handle: BrowserHandle;

  before(async () => {
    [shop, handle] = await Promise.all([startTestShop({ dialect: 'sqlite', workers: true }), launchBrowser()]);
  });
  after(async () => {
    await handle?.close();
    await shop?.close();
  });

  test('staff enter it, the buyer pays on the provider page from the mailed link, the order is paid', async () => {
    const pspOrigin = new URL(shop.pspUrl).origin;
    const { context: staffContext, page, scriptErrors, cspViolations } = await staffPage(handle.browser, shop, 'denwa-tantou@example.jp');

    try {
      // 1. From the order list to the entry page; the caller is not known yet.
      await page.goto(`${shop.url}/admin/orders`);
      await page.getByRole('link', { name: '電話・FAX・はがきの注文を入力' }).click();
      await page.waitForURL(/\/admin\/orders\/new$/);
      await page.getByLabel('電話・FAX番号・お名前・メールアドレス').fill('045-222-3333');
      await page.getByRole('button', { name: '検索' }).click();
      await page.getByText('見つかりませんでした').waitFor();

      // 2. The order as the caller gives it.
      await page.getByLabel('電話', { exact: true }).check();
      const orderer = page.locator('section[aria-labelledby="h-orderer-entry"]');
      await field(orderer, 'お名前').fill('電話 太郎');
      await field(orderer, 'フリガナ').fill('でんわ たろう');
      await field(orderer, '郵便番号').fill('231-0001');
      await field(orderer, '都道府県').selectOption('神奈川県');
      await field(orderer, '市区町村・番地').fill('横浜市中区新港1-1');
      await field(orderer, '電話番号').fill('045-222-3333');
      await field(orderer, 'メールアドレス（わかる場合）').fill(BUYER_EMAIL);
      const qty = page.locator('input[name^="qty_"]');
      assert.ok((await qty.count()) > 3, 'the catalog with quantities');
      await qty.nth(0).fill('2');
      await qty.nth(1).fill('1');
      await page.getByLabel('クレジットカード（お支払いリンク）').check();

      // 3. Live totals (the console's script asks the shop's quote).
      await page.getByText('金額を更新しました。').waitFor();
      const live = page.locator('[data-live-totals] table.totals');
      const liveTotal = yen(await live.locator('tr', { hasText: 'お支払い合計（税込）' }).locator('td').innerText());
      assert.ok(liveTotal > 0);

      // 4. Register: the order page, with the channel, the staff member and the payment link.
      await page.getByRole('button', { name: 'この内容で注文を登録' }).click();
      await page.waitForURL(/\/admin\/orders\/ord_[0-9A-Z]{16}\?done=entered$/);
      const detail = await mainText(page);
      assert.match(detail, /ご注文を登録しました。/);
      assert.match(detail, /受付経路\s*電話/);
      assert.match(detail, /denwa-tantou@example\.jp/);
      assert.match(detail, /決済待ち|お支払い待ち|未入金/);
      const linkUrl = await page.locator('input.link-url').inputValue();
      assert.match(linkUrl, new RegExp(`^${shop.url}/pay/[A-Za-z0-9_-]{43}$`));
      const orderUrl = page.url().split('?')[0]!;
      await screenshot(page, 'phone-order-staff');

      // 5. The buyer's mail carries the link; the buyer opens it in their own browser.
      const mail = await waitForMail(join(shop.dataDir, 'mail'), /カードでのお支払いのご案内/, { to: BUYER_EMAIL });
      assert.ok(mail.text.includes(linkUrl), 'the mailed link');
      assert.match(mail.text, /カード番号をお尋ねすることはありません/);
      const buyer = await newVisitor(handle.browser);
      const b = buyer.page;
      await b.goto(linkUrl);
      assert.match(await mainText(b), /電話 太郎 様/);
      assert.equal(yen(await b.locator('table.totals tr.grand td').innerText()), liveTotal, 'the amount the staff member saw');
      await b.getByRole('button', { name: 'カード決済ページへ進む' }).click();
      await b.waitForURL((u) => u.origin === pspOrigin && /^\/pay\/[^/]+$/.test(u.pathname));
      await b.getByLabel('カード番号').fill('4242 4242 4242 4242');
      await b.getByLabel('有効期限').fill('12/34');
      await b.getByLabel('セキュリティコード').fill('123');
      await b.getByLabel('カード名義').fill('TARO DENWA');
      await b.getByRole('button', { name: /円を支払う/ }).click();
      await b.waitForURL((u) => u.origin === shop.url && /\/orders\/ord_[0-9A-Z]{16}/.test(u.pathname));
      assert.equal(await b.getByRole('heading', { level: 1 }).innerText(), 'ご注文ありがとうございました');
      await screenshot(b, 'phone-order-buyer-paid');

      // 6. The link is used up; the staff page shows the order paid.
      await b.goto(linkUrl);
      assert.match(await mainText(b), /お支払い済みです/);
      assert.equal(await b.getByRole('button', { name: 'カード決済ページへ進む' }).count(), 0);
      await page.goto(orderUrl);
      assert.match(await mainText(page), /支払方法\s*クレジットカード（入金済み）/);
      assert.match(await mainText(page), /使用済み（お支払い完了）/);
      await buyer.context.close();
      assert.deepEqual(scriptErrors, []);
      assert.deepEqual(cspViolations, []);
    } finally {
      await staffContext.close();
    }
  });
});
