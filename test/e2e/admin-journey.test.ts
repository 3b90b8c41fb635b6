import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Secret, TOTP } from 'otpauth';
import type { Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { Client, guestForm } from '../helpers/browser-client.js';
import { type TestShop, cliEnv, startTestShop } from '../helpers/shop.js';
import { launchBrowser, newVisitor, screenshot, skip, type BrowserHandle } from './helpers.js';
import { parseCsv } from '../helpers/csv.js';

/**
 * A new owner's first day, in a real Chromium, the way a person does it: `mamori admin create` on
 * the command line, the printed link, a password, an authenticator app, a product with two
 * variants and a photo, a customer's order, shipping it, and the Yamato B2 file for the labels.
 *
 *   node --import tsx --test test/e2e/admin-journey.test.ts
 */

const run = promisify(execFile);
const OWNER = 'owner@example.jp';
const OWNER_PASSWORD = 'hajimete-no-mise-2026';
const SLUG = 'hatsumi-hojicha';
const PRODUCT = '初摘みほうじ茶';
const RECIPIENT = '茶野 花子';
const TRACKING = '4321-8765-2109';


/** The code an authenticator app shows right now for `secret`. */
function totpNow(secret: string): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: Date.now() });
}

/** A field by its visible label; the console marks required ones with a 「必須」 tag. */
function field(scope: Page | Locator, label: string): Locator {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return scope.getByLabel(new RegExp(`^\\s*${escaped}\\s*(必須)?\\s*$`));
}


describe('a new owner, from `mamori admin create` to the shipping CSV', { skip }, () => {
  let shop: TestShop;
  let handle: BrowserHandle;

  before(async () => {
    [shop, handle] = await Promise.all([startTestShop({ dialect: 'sqlite' }), launchBrowser()]);
  });
  after(async () => {
    await handle?.close();
    await shop?.close();
  });

  test('set up with 2FA, add a product with variants and an image, ship an order, export Yamato B2', async () => {
    const { context, page } = await newVisitor(handle.browser);
    const scriptErrors: string[] = [];
    page.on('pageerror', (err) => scriptErrors.push(`${page.url()}: ${err.message}`));
    try {
      // 1. The command line prints a one-time setup link.
      const { stdout } = await run(process.execPath, ['bin/mamori.js', 'admin', 'create', '--email', OWNER], { env: cliEnv(shop) });
      const link = /(https?:\/\/\S+\/admin\/setup\?token=[A-Za-z0-9_-]{43})/.exec(stdout);
      assert.ok(link, `a setup link in ${JSON.stringify(stdout)}`);

      // 2. Name and password, then the authenticator app, then the recovery codes.
      await page.goto(link[1]!);
      assert.match(await page.locator('main').innerText(), /owner@example\.jp/);
      await field(page, 'お名前').fill('店主 花子');
      await field(page, 'パスワード').fill(OWNER_PASSWORD);
      await field(page, 'パスワード（確認）').fill(OWNER_PASSWORD);
      await page.getByRole('button', { name: '次へ（2要素認証の設定）' }).click();
      await page.waitForURL(/\/admin\/setup\/2fa$/);
      assert.equal(await page.locator('.qr svg').count(), 1, 'a QR code to scan');
      const secret = (await page.locator('code.secret').innerText()).replace(/\s+/g, '');
      assert.match(secret, /^[A-Z2-7]{16,}$/);
      await field(page, '確認コード').fill(totpNow(secret));
      await page.getByRole('button', { name: '確認して設定を完了' }).click();
      await page.getByText('2要素認証を設定しました。').waitFor();
      const codes = await page.locator('ul.codes code').allInnerTexts();
      assert.equal(codes.length, 10, 'ten recovery codes');
      for (const code of codes) assert.match(code, /^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
      await page.getByRole('link', { name: '保存しました。管理画面へ進む' }).click();
      await page.waitForURL(`${shop.url}/admin`);
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'ダッシュボード');

      // 3. A product with two variants and a photo.
      const nav = page.getByRole('navigation', { name: '管理メニュー' });
      await nav.getByRole('link', { name: '商品' }).click();
      await page.getByRole('link', { name: '商品を追加' }).click();
      await field(page, 'カテゴリー').selectOption({ label: '緑茶' });
      await field(page, 'スラッグ（URL）').fill(SLUG);
      await field(page, '商品名').fill(PRODUCT);
      await field(page, '消費税率').selectOption('8');
      await page.getByLabel('ストアに公開する').check();
      await field(page, '説明文（Markdown）').fill('## 香ばしい一番茶\n\n浅煎りのほうじ茶です。');
      await page.getByRole('button', { name: '商品を作成' }).click();
      await page.waitForURL(/\/admin\/products\/prd_[0-9A-Z]+\?done=created/);

      const variants: [string, string, string, string][] = [['HJ-100', '100g袋', '980', '20'], ['HJ-200', '200g袋', '1,800', '10']];
      for (const [sku, name, price, stock] of variants) {
        const add = page.locator('section', { has: page.getByRole('heading', { name: 'SKUを追加' }) });
        await field(add, 'SKU').fill(sku);
        await field(add, '種類名').fill(name);
        await field(add, '価格（税込・円）').fill(price.replace(',', ''));
        await field(add, '初期在庫').fill(stock);
        await add.getByLabel('販売する（有効）').check();
        await add.getByRole('button', { name: 'SKUを追加' }).click();
        await page.waitForURL(/done=variant_added/);
        await page.getByRole('heading', { name: new RegExp(`${sku} — ${name} — ¥${price} — 在庫 ${stock}`) }).waitFor();
      }

      const png = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 150, g: 90, b: 40 } } }).png().toBuffer();
      const upload = page.locator('section', { has: page.getByRole('heading', { name: '画像を追加' }) });
      await upload.getByLabel('画像ファイル').setInputFiles({ name: 'hojicha.png', mimeType: 'image/png', buffer: png });
      await field(upload, '代替テキスト').fill('ほうじ茶の茶葉');
      await upload.getByRole('button', { name: 'アップロード' }).click();
      await page.waitForURL(/done=image_added/);
      const adminImage = page.getByRole('img', { name: 'ほうじ茶の茶葉' });
      await adminImage.waitFor();
      const mediaSrc = await adminImage.getAttribute('src');
      assert.match(mediaSrc ?? '', /^\/media\/\S+\.webp$/);

      // On the storefront: in its category, with its photo, both variants.
      const store = await context.newPage();
      await store.goto(`${shop.url}/categories/green-tea`);
      await store.getByRole('link', { name: new RegExp(PRODUCT) }).click();
      await store.waitForURL(new RegExp(`/products/${SLUG}$`));
      assert.equal(await store.getByRole('heading', { level: 1 }).innerText(), PRODUCT);
      const photo = store.locator(`img[src="${mediaSrc}"]`);
      await photo.waitFor();
      await store.waitForFunction((src) => {
        const img = document.querySelector(`img[src="${src}"]`) as HTMLImageElement | null;
        return !!img && img.complete && img.naturalWidth > 0;
      }, mediaSrc);
      const storeText = await store.locator('main').innerText();
      assert.match(storeText, /100g袋/);
      assert.match(storeText, /200g袋/);
      await store.close();

      // 4. A customer orders it (cash on delivery), without a browser for speed.
      const buyer = new Client(shop.url);
      await buyer.get(`/products/${SLUG}`);
      const variantId = /name="variant_id" value="(var_[0-9A-Z]{16})"(?![^>]*disabled)/.exec(buyer.last!.html);
      assert.ok(variantId, 'the product offers a variant');
      assert.equal((await buyer.post('/cart/add', { variant_id: variantId[1]!, quantity: '2' })).status, 200);
      await buyer.get('/checkout');
      const confirm = await buyer.post('/checkout/confirm', guestForm({ orderer_name: RECIPIENT, orderer_kana: 'チャノ ハナコ', orderer_email: 'hanako@example.jp', payment_method: 'cod' }));
      assert.equal(confirm.status, 200, confirm.html.slice(0, 500));
      const thanks = await buyer.request('/checkout/place', { form: buyer.hiddenFields('/checkout/place') });
      assert.match(thanks.html, /ご注文ありがとうございました/);
      const orderNumber = /\b(\d{6}-[0-9A-HJKMNP-TV-Z]{6})\b/.exec(thanks.html)?.[1];
      assert.ok(orderNumber, 'the thank-you page shows the order number');

      // The owner finds it, prepares and ships it with a tracking number.
      await nav.getByRole('link', { name: '注文' }).click();
      await page.getByRole('link', { name: orderNumber }).click();
      await page.waitForURL(/\/admin\/orders\/ord_[0-9A-Z]{16}/);
      const orderText = await page.locator('main').innerText();
      assert.match(orderText, new RegExp(RECIPIENT));
      assert.match(orderText, new RegExp(PRODUCT));
      await page.getByRole('button', { name: '発送準備中にする' }).click();
      await page.getByRole('button', { name: /発送済みにする/ }).waitFor();
      await page.getByLabel('配送業者').first().selectOption('yamato');
      await page.getByLabel('追跡番号').first().fill(TRACKING);
      await page.getByRole('button', { name: '発送済みにする（お知らせメール送信）' }).click();
      const shipped = page.locator('section', { has: page.getByRole('heading', { name: '発送', exact: true }) });
      await shipped.getByRole('link', { name: TRACKING }).waitFor();

      // The Yamato B2 file for the labels.
      await nav.getByRole('link', { name: '注文' }).click();
      await page.getByText('この条件で出力する（CSV）').click();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'ヤマト B2クラウド用CSV' }).click()]);
      assert.match(download.suggestedFilename(), /^yamato-b2-\d{8}\.csv$/);
      const path = await download.path();
      const csv = new TextDecoder('utf-8', { ignoreBOM: true }).decode(readFileSync(path));
      assert.ok(csv.startsWith('\uFEFF'), 'UTF-8 with BOM');
      const rows = parseCsv(csv.slice(1));
      const header = rows[0]!;
      const row = rows.slice(1).find((r) => r[header.indexOf('お客様管理番号')] === orderNumber);
      assert.ok(row, `order ${orderNumber} in the B2 file`);
      assert.equal(row[header.indexOf('お届け先名')], RECIPIENT);
      assert.equal(row[header.indexOf('送り状種類')], '2', 'コレクト (cash on delivery)');
      assert.deepEqual(scriptErrors, []);
    } catch (err) {
      await screenshot(page, 'admin-journey-failure').catch(() => undefined);
      throw err;
    } finally {
      await context.close();
    }
  });
});
