import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { pdfText } from '../helpers/pdf.js';
import { startTestShop, type TestShop } from '../helpers/shop.js';
import { launchBrowser, screenshot, staffPage, skip, type BrowserHandle } from './helpers.js';

/**
 * A FAX order paid cash on delivery, in a real Chromium: a staff member types the order from the
 * FAX in the admin console (live totals from the console's script), registers it, and downloads the
 * order's 注文確認書 兼 FAX返信票 from the order page to FAX it back. The PDF is read back as text.
 *
 *   node --import tsx --test test/e2e/fax-order.test.ts
 */

const SHOP_FAX = '03-5555-0199';
const yen = (s: string) => Number(s.replace(/[^\d]/g, ''));
const yenText = (n: number) => `¥${n.toLocaleString('en-US')}`;
/** Text with the layout's runs of spaces squeezed, so phrases can be matched across columns. */
const squeeze = (s: string) => s.replace(/[ \t]+/g, ' ');

/** A field by its visible label; the console marks required ones with a 「必須」 tag. */
function field(scope: Page | Locator, label: string): Locator {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return scope.getByLabel(new RegExp(`^\\s*${escaped}\\s*(必須)?\\s*$`));
}

describe('a FAX order paid cash on delivery, with its reply sheet', { skip }, () => {
  let shop: TestShop;
  let handle: BrowserHandle;

  before(async () => {
    [shop, handle] = await Promise.all([startTestShop({ dialect: 'sqlite' }), launchBrowser()]);
    // The shop's own FAX number, as the owner keeps it in the settings: the sheet says where to FAX back.
    await shop.shop.services.settings.set('shop', { fax: SHOP_FAX });
  });
  after(async () => {
    await handle?.close();
    await shop?.close();
  });

  test('staff enter the FAX order with COD, then download its reply sheet from the order page', async () => {
    const staffEmail = 'fax-tantou@example.jp';
    const { context: staffContext, page, scriptErrors, cspViolations } = await staffPage(handle.browser, shop, staffEmail);

    try {
      // 1. From the order list to the entry page; the sender's FAX number finds nobody yet.
      await page.goto(`${shop.url}/admin/orders`);
      await page.getByRole('link', { name: '電話・FAX・はがきの注文を入力' }).click();
      await page.waitForURL(/\/admin\/orders\/new$/);
      await page.getByLabel('電話・FAX番号・お名前・メールアドレス').fill('0263-11-2233');
      await page.getByRole('button', { name: '検索' }).click();
      await page.getByText('見つかりませんでした').waitFor();

      // 2. The order as the FAXed order form gives it: no e-mail address, cash on delivery.
      await page.getByLabel('FAX', { exact: true }).check();
      const orderer = page.locator('section[aria-labelledby="h-orderer-entry"]');
      await field(orderer, 'お名前').fill('松本 ふみ');
      await field(orderer, 'フリガナ').fill('マツモト フミ');
      await field(orderer, '郵便番号').fill('390-0811');
      await field(orderer, '都道府県').selectOption('長野県');
      await field(orderer, '市区町村・番地').fill('松本市中央1-2-3');
      await field(orderer, '電話番号').fill('0263-11-2234');
      await field(orderer, 'FAX番号').fill('0263-11-2233');
      const rows = page.locator('section[aria-labelledby="h-items"] tbody tr');
      assert.ok((await rows.count()) > 3, 'the catalog with quantities');
      // Two catalog lines: their SKU and name as the console shows them.
      const picked: { sku: string; name: string; qty: number }[] = [];
      for (const [i, qty] of [[0, 3], [2, 1]] as const) {
        const row = rows.nth(i);
        picked.push({ sku: (await row.locator('td').nth(0).innerText()).trim(), name: (await row.locator('label').innerText()).trim(), qty });
        await row.locator('input[name^="qty_"]').fill(String(qty));
      }
      await page.getByLabel('代金引換', { exact: true }).check();

      // 3. Live totals with the COD fee.
      await page.getByText('金額を更新しました。').waitFor();
      const live = page.locator('[data-live-totals] table.totals');
      await live.locator('tr', { hasText: '代引き手数料' }).waitFor();
      const liveCod = yen(await live.locator('tr', { hasText: '代引き手数料' }).locator('td').innerText());
      const liveTotal = yen(await live.locator('tr', { hasText: 'お支払い合計（税込）' }).locator('td').innerText());
      assert.ok(liveCod > 0 && liveTotal > liveCod, `COD fee ${liveCod}, total ${liveTotal}`);

      // 4. Register: the order page shows channel FAX, cash on delivery and who entered it.
      await page.getByRole('button', { name: 'この内容で注文を登録' }).click();
      await page.waitForURL(/\/admin\/orders\/ord_[0-9A-Z]{16}\?done=entered$/);
      const detail = await page.locator('main').innerText();
      assert.match(detail, /ご注文を登録しました。/);
      assert.match(detail, /受付経路\s*FAX/);
      assert.match(detail, /支払方法\s*代金引換/);
      assert.ok(detail.includes(staffEmail), 'who entered it');
      const orderId = /\/admin\/orders\/(ord_[0-9A-Z]{16})/.exec(page.url())![1]!;
      const order = await shop.shop.services.orders.getById(orderId);
      assert.ok(order);
      assert.equal(order.channel, 'fax');
      assert.equal(order.payment_method, 'cod');
      assert.equal(order.cod_fee_yen, liveCod);
      assert.equal(order.total_yen, liveTotal, 'the total the staff member saw');
      assert.ok(detail.includes(order.order_number));
      await screenshot(page, 'fax-order-staff');

      // 5. The reply sheet: a PDF download from the order page.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: '注文確認書（FAX返信票）PDF' }).click(),
      ]);
      assert.equal(download.suggestedFilename(), `reply-sheet-${order.order_number}.pdf`);
      const pdf = await readFile((await download.path())!);
      assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
      const text = squeeze(pdfText(pdf));
      const lines = await shop.shop.services.orders.lines(orderId);
      assert.equal(lines.length, 2);
      for (const expected of [
        '注文確認書 兼 FAX返信票', `ご注文番号 ${order.order_number}`, '松本 ふみ 様', 'FAX 0263-11-2233', '〒390-0811 長野県松本市中央1-2-3',
        '受付方法 FAX', 'お支払い方法 代金引換',
        `代引き手数料 ${yenText(liveCod)}`, `お支払い合計（税込） ${yenText(liveTotal)}`, `合計金額 ${yenText(liveTotal)}（代引き手数料を含みます）`,
        `FAX ${SHOP_FAX}`, `返信先 FAX ${SHOP_FAX}`, '確認欄', 'ご署名',
      ]) {
        assert.ok(text.includes(expected), `the sheet shows ${JSON.stringify(expected)}\n${text}`);
      }
      // The lines: SKU, quantity and line total of each line the staff member typed.
      for (const p of picked) {
        const line = lines.find((l) => l.sku === p.sku);
        assert.ok(line, `${p.sku} is on the order`);
        assert.equal(line.quantity, p.qty);
        assert.match(text, new RegExp(`（${p.sku}）[^\\n]* ${yenText(line.unit_price_yen)} ${p.qty} ${yenText(line.line_total_yen)}`), `${p.sku} × ${p.qty}\n${text}`);
        assert.ok(p.name.startsWith(line.name), `${p.name} / ${line.name}`);
        assert.ok(text.includes(line.name), line.name);
      }
      // Printing it is audited (personal data leaves the system on paper).
      const audit = await shop.shop.services.handle.db.selectFrom('audit_log').selectAll().where('action', '=', 'order.reply_sheet').where('target', '=', orderId).execute();
      assert.equal(audit.length, 1);
      assert.equal(audit[0]!.actor, `staff:${staffEmail}`);

      assert.deepEqual(scriptErrors, []);
      assert.deepEqual(cspViolations, []);
    } finally {
      await staffContext.close();
    }
  });
});
