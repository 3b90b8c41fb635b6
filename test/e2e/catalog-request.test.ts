import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ADMIN_COOKIE } from '../../src/admin/plugin.js';
import { signedInStaff } from '../helpers/admin.js';
import { Client } from '../helpers/browser-client.js';
import { parseCsv } from '../helpers/csv.js';
import { pdfText } from '../helpers/pdf.js';
import { startTestShop, type TestShop } from '../helpers/shop.js';
import { launchBrowser, newVisitor, screenshot, skip, type BrowserHandle } from './helpers.js';

/**
 * The paper catalog, in a real Chromium: a visitor finds カタログ請求 in the shop's footer, fills the
 * form (the postal code fills in the prefecture and town), consents and sends it, downloads the
 * order form; a staff member
 * finds the request in the admin console, downloads the mailing-label CSV with it and marks it sent.
 *
 *   node --import tsx --test test/e2e/catalog-request.test.ts
 */

const NAME = '紙野 文子';

describe('a catalog request, from the storefront to the mailing labels', { skip }, () => {
  let shop: TestShop;
  let handle: BrowserHandle;

  before(async () => {
    [shop, handle] = await Promise.all([startTestShop({ dialect: 'sqlite' }), launchBrowser()]);
  });
  after(async () => {
    await handle?.close();
    await shop?.close();
  });

  test('a visitor requests a catalog; staff sees it, exports the labels and marks it sent', async () => {
    const { context, page } = await newVisitor(handle.browser);
    const scriptErrors: string[] = [];
    page.on('pageerror', (err) => scriptErrors.push(`${page.url()}: ${err.message}`));
    try {
      // The visitor.
      await page.goto(`${shop.url}/`);
      await page.getByRole('link', { name: /カタログ請求/ }).click();
      await page.waitForURL(`${shop.url}/catalog-request`);
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'カタログ請求');
      await page.getByLabel(/^氏名/).fill(NAME);
      await page.getByLabel(/^フリガナ/).fill('かみの ふみこ');
      await page.getByLabel(/^郵便番号/).pressSequentially('5300001');
      // The postal-code lookup of the checkout form fills prefecture and town.
      await page.getByText('を入力しました。番地以降を続けて入力してください。').waitFor();
      assert.equal(await page.getByLabel(/^都道府県/).inputValue(), '大阪府');
      const address1 = page.getByLabel(/^住所1/);
      assert.match(await address1.inputValue(), /^大阪市北区梅田/);
      await address1.fill(`${await address1.inputValue()}1-1`);
      await page.getByLabel(/^住所2/).fill('梅田ハイツ202');
      // Sending without consent is refused next to the checkbox.
      await page.getByRole('button', { name: 'カタログを請求する' }).click();
      await page.getByText('カタログ送付のための利用と保管期間をご確認のうえ、同意してください。').waitFor();
      assert.equal(await page.getByLabel(/^氏名/).inputValue(), NAME, 'what was typed is kept');
      await page.getByLabel('上記の利用目的と保管期間に同意します').check();
      await page.getByRole('button', { name: 'カタログを請求する' }).click();
      await page.waitForURL(`${shop.url}/catalog-request/thanks`);
      await page.getByRole('heading', { name: 'カタログのご請求を承りました' }).waitFor();
      // In a hurry: the order form to print, straight from the thank-you page.
      const [form] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: '注文用紙（PDF）を今すぐ印刷する' }).click()]);
      assert.equal(form.suggestedFilename(), 'order-form.pdf');
      const formText = pdfText(readFileSync((await form.path())!));
      assert.match(formText, /ご注文用紙/);
      assert.match(formText, /カード番号・有効期限・セキュリティコードは、この用紙に絶対に書かないでください/);

      // Staff, already signed in with 2FA.
      const { token } = await signedInStaff(shop.shop.services, new Client(shop.url), 'staff', 'mail-room@example.jp');
      await context.addCookies([{ name: ADMIN_COOKIE, value: token, domain: '127.0.0.1', path: '/admin', httpOnly: true, sameSite: 'Strict' }]);
      await page.goto(`${shop.url}/admin`);
      await page.getByRole('navigation', { name: '管理メニュー' }).getByRole('link', { name: 'カタログ請求' }).click();
      await page.waitForURL(`${shop.url}/admin/catalog-requests`);
      const row = page.locator('tr', { hasText: NAME });
      await row.waitFor();
      assert.match(await row.innerText(), /〒530-0001 大阪府大阪市北区梅田.*1-1/);
      assert.match(await row.innerText(), /未発送/);

      await page.getByLabel('状態').selectOption('new');
      await page.getByRole('button', { name: '絞り込む' }).click();
      await page.waitForURL(/status=new/);
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'この条件の宛名ラベルCSV' }).click()]);
      assert.match(download.suggestedFilename(), /^catalog-labels-\d{8}\.csv$/);
      const csv = new TextDecoder('utf-8', { ignoreBOM: true }).decode(readFileSync((await download.path())!));
      assert.ok(csv.startsWith('\uFEFF'), 'UTF-8 with BOM for Excel');
      const rows = parseCsv(csv.slice(1));
      assert.deepEqual(rows[0]!.slice(0, 4), ['郵便番号', '住所1', '住所2', '宛名']);
      const label = rows.find((r) => r[3] === `${NAME} 様`);
      assert.ok(label, `the request is in the labels: ${JSON.stringify(rows)}`);
      assert.equal(label[0], '530-0001');
      assert.match(label[1]!, /^大阪府大阪市北区梅田.*1-1$/);
      assert.equal(label[2], '梅田ハイツ202');
      assert.equal(label[4], 'カミノ フミコ');

      // Posted: mark it sent.
      await page.getByLabel(`${NAME} 様を選択`).check();
      await page.getByRole('button', { name: '選択した請求を発送済みにする' }).click();
      await page.getByText('1件を発送済みにしました。').waitFor();
      await page.getByLabel('状態').selectOption('sent');
      await page.getByRole('button', { name: '絞り込む' }).click();
      await page.waitForURL(/status=sent/);
      assert.match(await page.locator('tr', { hasText: NAME }).innerText(), /発送済み\s*\d{4}年/);
      assert.deepEqual(scriptErrors, []);
    } catch (err) {
      await screenshot(page, 'catalog-request-failure').catch(() => undefined);
      throw err;
    } finally {
      await context.close();
    }
  });
});
