import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { ADMIN_COOKIE } from '../../src/admin/plugin.js';
import { productSearchText } from '../../src/catalog/admin-service.js';
import { DEMO_PRODUCTS } from '../../src/catalog/demo-data.js';
import { demoSearchText } from '../../src/catalog/demo.js';
import { signedInStaff } from '../helpers/admin.js';
import { Client } from '../helpers/browser-client.js';
import { DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';

const A = '/admin';

async function picture(format: 'jpeg' | 'png' | 'webp', exif = false): Promise<Buffer> {
  const width = 240;
  const height = 160;
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 31 + (i >> 7)) % 256;
  let img = sharp(raw, { raw: { width, height, channels: 3 } });
  if (exif) img = img.withMetadata({ orientation: 1, exif: { IFD0: { Artist: 'Hidden Artist', Copyright: 'GPS 35.68N' } } });
  return img.toFormat(format).toBuffer();
}

/**
 * Storefront catalog pages are rendered once and kept for up to 2 s (web/page.tsx): a change made
 * in the admin shows there within that time. Polls a page until it satisfies the check.
 */
async function eventually(c: Client, path: string, ok: (html: string) => boolean, ms = 4000): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    const page = await c.get(path);
    if (ok(page.html) || Date.now() > until) return page.html;
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Upload {
  status: number;
  html: string;
  location: string | null;
}

/** A multipart upload the way a browser sends the image form (cookies from the client). */
async function upload(c: Client, path: string, parts: { csrf?: string | null; alt?: string; file?: { data: Buffer; name: string; type: string } | null }): Promise<Upload> {
  const fd = new FormData();
  if (parts.csrf !== null) fd.append('_csrf', parts.csrf ?? c.csrf());
  if (parts.alt !== undefined) fd.append('alt_ja', parts.alt);
  if (parts.file) fd.append('image', new Blob([new Uint8Array(parts.file.data)], { type: parts.file.type }), parts.file.name);
  const cookie = ['mamori_sid', ADMIN_COOKIE].map((n) => `${n}=${c.cookie(n) ?? ''}`).join('; ');
  const res = await fetch(new URL(path, c.base), { method: 'POST', body: fd, headers: { cookie, accept: 'text/html' }, redirect: 'manual' });
  return { status: res.status, html: await res.text(), location: res.headers.get('location') };
}

describe('catalog search text', () => {
  test('the admin helper builds search_text exactly as the demo seed does', () => {
    for (const p of DEMO_PRODUCTS) assert.equal(productSearchText(p), demoSearchText(p), p.slug);
  });
});

for (const { dialect, skip } of DIALECTS) {
  describe(`admin catalog on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    let c: Client;
    let email: string;
    let productId: string;
    before(async () => {
      shop = await startTestShop({ dialect });
      c = new Client(shop.url);
      email = `catalog-staff-${dialect}@example.jp`;
      await signedInStaff(shop.shop.services, c, 'staff', email);
    });
    after(async () => {
      await shop?.close();
    });
    const db = () => shop.shop.services.handle.db;
    const auditActions = async () => (await db().selectFrom('audit_log').select(['action', 'actor', 'target', 'detail']).orderBy('seq').execute());

    test('product list shows the catalog with filters', async () => {
      const list = await c.get(`${A}/products`);
      assert.equal(list.status, 200);
      assert.match(list.html, /深蒸し煎茶/);
      assert.match(list.html, /14件/);
      const q = await c.get(`${A}/products?q=${encodeURIComponent('GT-SEN')}&published=published`);
      assert.match(q.html, /1件/);
      assert.equal((await c.get(`${A}/products?published=evil`)).status, 400);
      assert.equal((await c.get(`${A}/products/prd_NOPE`)).status, 404);
    });

    test('create a product with variants: it shows on the storefront with the right price and stock', async () => {
      const category = await db().selectFrom('categories').select('id').where('slug', '=', 'green-tea').executeTakeFirstOrThrow();
      await c.get(`${A}/products/new`);
      const created = await c.post(`${A}/products/new`, {
        category_id: category.id, slug: 'Test-Matcha', name_ja: 'テスト抹茶', name_en: '', tax_rate: '8', published: '1', sort_order: '0',
        description_md: '## 香り\n**濃厚**な抹茶です。', description_md_en: '',
      });
      assert.equal(created.status, 200);
      assert.match(created.html, /商品を作成しました/);
      const m = /\/admin\/products\/(prd_[0-9A-Z]{16})/.exec(created.url);
      assert.ok(m);
      productId = m[1]!;
      const row = await db().selectFrom('products').selectAll().where('id', '=', productId).executeTakeFirstOrThrow();
      assert.equal(row.slug, 'test-matcha', 'slug is lower-cased');
      assert.equal(row.name_en, 'テスト抹茶', 'empty English name falls back to the Japanese one');

      const v1 = await c.post(`${A}/products/${productId}/variants`, { sku: 'tm-030', name_ja: '30g缶', name_en: '30 g tin', price_yen: '１９８０', stock: '7', sort_order: '0', active: '1' });
      assert.equal(v1.status, 200);
      assert.match(v1.html, /SKUを追加しました/);
      const v2 = await c.post(`${A}/products/${productId}/variants`, { sku: 'TM-100', name_ja: '100g袋', name_en: '', price_yen: '5400', stock: '0', sort_order: '1', active: '1' });
      assert.equal(v2.status, 200);

      const page = await c.get('/products/test-matcha');
      assert.equal(page.status, 200);
      assert.match(page.html, /テスト抹茶/);
      assert.match(page.html, /TM-030/, 'SKU is upper-cased');
      assert.match(page.html, /¥1,980/);
      assert.match(page.html, /¥5,400/);
      assert.match(page.html, /<strong>濃厚<\/strong>/);
      const tm100 = await db().selectFrom('variants').select('id').where('sku', '=', 'TM-100').executeTakeFirstOrThrow();
      assert.match(page.html, new RegExp(`value="${tm100.id}" disabled`), 'out-of-stock variant cannot be chosen');
      const search = await c.get('/products?q=tm-100');
      assert.match(search.html, /test-matcha/, 'search_text includes the new SKUs');

      const actions = (await auditActions()).filter((a) => a.actor === `staff:${email}`).map((a) => a.action);
      assert.deepEqual(actions.filter((a) => a !== 'image.upload'), ['product.create', 'variant.create', 'variant.create']);
    });

    test('edit product and variant, adjust stock; every change is audited', async () => {
      const edit = await c.get(`${A}/products/${productId}`);
      assert.equal(edit.status, 200);
      const category = await db().selectFrom('categories').select('id').where('slug', '=', 'green-tea').executeTakeFirstOrThrow();
      const saved = await c.post(`${A}/products/${productId}`, {
        category_id: category.id, slug: 'test-matcha', name_ja: '特選テスト抹茶', name_en: 'Premium Test Matcha', tax_rate: '8', published: '1', sort_order: '0',
        description_md: '新しい説明', description_md_en: 'New description',
      });
      assert.match(saved.html, /商品を保存しました/);
      const variant = await db().selectFrom('variants').select(['id', 'stock']).where('sku', '=', 'TM-030').executeTakeFirstOrThrow();
      const v = await c.post(`${A}/products/${productId}/variants/${variant.id}`, { sku: 'TM-030', name_ja: '30g缶', name_en: '30 g tin', price_yen: '2160', sort_order: '0', active: '1' });
      assert.match(v.html, /SKUを保存しました/);
      const stock = await c.post(`${A}/products/${productId}/variants/${variant.id}/stock`, { mode: 'delta', amount: '+3', expected: '7', reason: '入荷' });
      assert.match(stock.html, /在庫を更新しました/);
      const stale = await c.post(`${A}/products/${productId}/variants/${variant.id}/stock`, { mode: 'set', amount: '50', expected: '7', reason: '' });
      assert.equal(stale.status, 422);
      assert.match(stale.html, /他の操作/);
      const negative = await c.post(`${A}/products/${productId}/variants/${variant.id}/stock`, { mode: 'delta', amount: '-11', expected: '10', reason: '' });
      assert.equal(negative.status, 422);
      assert.match(negative.html, /在庫が足りません/);
      assert.equal((await db().selectFrom('variants').select('stock').where('id', '=', variant.id).executeTakeFirstOrThrow()).stock, 10);

      const page = await eventually(c, '/products/test-matcha', (h) => h.includes('特選テスト抹茶') && h.includes('¥2,160'));
      assert.match(page, /特選テスト抹茶/);
      assert.match(page, /¥2,160/);
      assert.doesNotMatch(page, /¥1,980/);
      const en = await eventually(c, '/products/test-matcha?lang=en', (h) => h.includes('Premium Test Matcha'));
      assert.match(en, /Premium Test Matcha/);
      assert.match(en, /New description/);
      assert.match(await eventually(c, '/products?q=' + encodeURIComponent('特選'), (h) => h.includes('test-matcha')), /test-matcha/, 'search_text follows the new name');

      const entries = (await auditActions()).filter((a) => a.actor === `staff:${email}`);
      const update = entries.find((a) => a.action === 'product.update');
      assert.ok(update);
      assert.equal(update.target, productId);
      const detail = JSON.parse(update.detail!) as { changes: Record<string, { before: unknown; after: unknown }> };
      assert.deepEqual(detail.changes.name_ja, { before: 'テスト抹茶', after: '特選テスト抹茶' });
      const stockEntry = entries.find((a) => a.action === 'stock.adjust');
      assert.ok(stockEntry);
      assert.deepEqual(JSON.parse(stockEntry.detail!), { product: productId, sku: 'TM-030', before: 7, after: 10, mode: 'delta', reason: '入荷' });
      assert.ok(entries.some((a) => a.action === 'variant.update'));
    });

    test('duplicate SKU or slug and bad values are field errors, not 500s', async () => {
      await c.get(`${A}/products/${productId}`);
      const dupSku = await c.post(`${A}/products/${productId}/variants`, { sku: 'gt-sen-100', name_ja: '重複', name_en: '', price_yen: '100', stock: '1', sort_order: '0', active: '1' });
      assert.equal(dupSku.status, 422);
      assert.match(dupSku.html, /このSKUは既に使われています/);
      const negPrice = await c.post(`${A}/products/${productId}/variants`, { sku: 'TM-NEG', name_ja: 'x', name_en: '', price_yen: '-1', stock: '-5', sort_order: '0', active: '1' });
      assert.equal(negPrice.status, 422);
      assert.match(negPrice.html, /価格は0円以上の整数/);
      assert.match(negPrice.html, /在庫数は0以上の整数/);

      const category = await db().selectFrom('categories').select('id').where('slug', '=', 'green-tea').executeTakeFirstOrThrow();
      await c.get(`${A}/products/new`);
      const dupSlug = await c.post(`${A}/products/new`, {
        category_id: category.id, slug: 'fukamushi-sencha', name_ja: '重複', name_en: '', tax_rate: '10', sort_order: '0', description_md: '', description_md_en: '',
      });
      assert.equal(dupSlug.status, 422);
      assert.match(dupSlug.html, /このスラッグ（URL）は既に使われています/);
      assert.match(dupSlug.html, /value="重複"/, 'typed values are kept');
      const bad = await c.post(`${A}/products/new`, {
        category_id: 'cat_XXXXXXXXXXXXXXXX', slug: 'Bad Slug!', name_ja: '', name_en: '', tax_rate: '5', sort_order: 'x', description_md: '', description_md_en: '', extra: '1',
      });
      assert.equal(bad.status, 422);
      assert.match(bad.html, /スラッグは半角英小文字/);
      assert.match(bad.html, /税率を選択してください/);
      assert.match(bad.html, /想定外の項目/);
      const wrongCategory = await c.post(`${A}/products/new`, {
        category_id: 'cat_XXXXXXXXXXXXXXXX', slug: 'ok-slug', name_ja: 'x', name_en: '', tax_rate: '10', sort_order: '0', description_md: '', description_md_en: '',
      });
      assert.equal(wrongCategory.status, 422);
      assert.match(wrongCategory.html, /カテゴリーを選択してください/);
    });

    test('Markdown preview renders sanitised HTML and saves nothing', async () => {
      await c.get(`${A}/products/${productId}`);
      const before = await db().selectFrom('products').select('description_md').where('id', '=', productId).executeTakeFirstOrThrow();
      const md = [
        '## 見出し',
        '**太字** と [リンク](https://example.jp/)',
        '<script>alert("xss")</script>',
        '[click](javascript:alert(1))',
        '<img src=x onerror=alert(2)>',
        '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
      ].join('\n\n');
      const res = await c.post(`${A}/products/${productId}/preview`, {
        category_id: '', slug: 'test-matcha', name_ja: 'プレビュー中', name_en: '', tax_rate: '8', sort_order: '0', description_md: md, description_md_en: '',
      });
      assert.equal(res.status, 200);
      const start = res.html.indexOf('説明文のプレビュー');
      assert.ok(start > 0);
      const preview = res.html.slice(start, res.html.indexOf('</section>', start));
      assert.match(preview, /<h2>見出し<\/h2>/);
      assert.match(preview, /<strong>太字<\/strong>/);
      assert.match(preview, /href="https:\/\/example.jp\/"/);
      assert.doesNotMatch(preview, /<script/i);
      assert.doesNotMatch(preview, /<img/i);
      assert.doesNotMatch(preview, /href="javascript:/i);
      assert.doesNotMatch(preview, /href="data:/i);
      assert.match(preview, /&lt;script&gt;/, 'raw HTML is shown as text');
      assert.doesNotMatch(res.html, /<script>alert/);
      assert.match(res.html, /value="プレビュー中"/, 'the form keeps what was typed');
      const afterRow = await db().selectFrom('products').select('description_md').where('id', '=', productId).executeTakeFirstOrThrow();
      assert.equal(afterRow.description_md, before.description_md);
      // The new-product form previews too.
      await c.get(`${A}/products/new`);
      const fresh = await c.post(`${A}/products/new/preview`, { description_md: '[x](javascript:alert(1))\n\n*ok*', description_md_en: '' });
      assert.equal(fresh.status, 200);
      assert.match(fresh.html, /<em>ok<\/em>/);
      assert.doesNotMatch(fresh.html, /href="javascript:/i);
    });

    test('image upload: PNG, JPEG and WebP are stored re-encoded, without metadata, under a random name', async () => {
      const mediaDir = shop.shop.services.mediaDir;
      await c.get(`${A}/products/${productId}`);
      for (const [format, type] of [['png', 'image/png'], ['jpeg', 'image/jpeg'], ['webp', 'image/webp']] as const) {
        const data = await picture(format, true);
        assert.ok((await sharp(data).metadata()).exif, 'the test picture carries EXIF');
        const res = await upload(c, `${A}/products/${productId}/images`, { alt: `${format}の写真`, file: { data, name: `../../evil-${format}.${format}`, type } });
        assert.equal(res.status, 303, res.html.slice(0, 500));
        assert.match(res.location ?? '', /done=image_added/);
      }
      const images = await db().selectFrom('product_images').selectAll().where('product_id', '=', productId).orderBy('sort_order').execute();
      assert.equal(images.length, 3);
      for (const img of images) {
        assert.match(img.file, /^p-[0-9a-f]{32}\.webp$/);
        assert.doesNotMatch(img.file, /evil/);
        const path = join(mediaDir, img.file);
        const meta = await sharp(readFileSync(path)).metadata();
        assert.equal(meta.format, 'webp');
        assert.equal(meta.exif, undefined, 'EXIF is gone');
        assert.equal(meta.xmp, undefined);
        assert.ok(!readFileSync(path).includes(Buffer.from('Hidden Artist')));
      }
      assert.ok(!readdirSync(mediaDir).some((f) => f.includes('evil')), 'the uploaded name is never used');
      assert.equal(images[0]!.alt_ja, 'pngの写真');
      const page = await eventually(c, '/products/test-matcha', (h) => images.every((img) => h.includes(img.file)));
      for (const img of images) assert.match(page, new RegExp(`src="/media/${img.file}"`));
      const served = await fetch(`${shop.url}/media/${images[0]!.file}`);
      assert.equal(served.status, 200);
      assert.match(served.headers.get('content-type') ?? '', /image\/webp/);
      const audited = (await auditActions()).filter((a) => a.action === 'image.upload');
      assert.equal(audited.length, 3);
      assert.equal(JSON.parse(audited[0]!.detail!).source_format, 'png');
    });

    test(
      'a 1 MB photo (under the 5 MB limit) is accepted',
      async () => {
        await c.get(`${A}/products/${productId}`);
        const noise = Buffer.alloc(900 * 900 * 3);
        for (let i = 0; i < noise.length; i++) noise[i] = Math.floor(Math.random() * 256);
        const data = await sharp(noise, { raw: { width: 900, height: 900, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
        assert.ok(data.length > 512 * 1024, `test photo is ${data.length} bytes`);
        const res = await upload(c, `${A}/products/${productId}/images`, { alt: '大きめの写真', file: { data, name: 'photo.jpg', type: 'image/jpeg' } });
        assert.equal(res.status, 303, res.html.replace(/[\s\S]*<main[^>]*>/, '').slice(0, 300));
        const rows = await db().selectFrom('product_images').selectAll().where('alt_ja', '=', '大きめの写真').execute();
        assert.equal(rows.length, 1);
        await c.post(`${A}/products/${productId}/images/${rows[0]!.id}/delete`, {});
      },
    );

    test('image upload refuses HTML renamed .png, SVG, truncated and oversize files with a message', async () => {
      const before = await db().selectFrom('product_images').select('id').where('product_id', '=', productId).execute();
      const filesBefore = readdirSync(shop.shop.services.mediaDir).length;
      await c.get(`${A}/products/${productId}`);
      const png = await picture('png');
      const cases: { name: string; type: string; data: Buffer; message: RegExp }[] = [
        { name: 'photo.png', type: 'image/png', data: Buffer.from('<!doctype html><script>alert(document.cookie)</script>'), message: /JPEG・PNG・WebP形式の画像のみ/ },
        { name: 'polyglot.png', type: 'image/png', data: Buffer.concat([png.subarray(0, 8), Buffer.from('<html><script>alert(1)</script></html>')]), message: /画像を読み取れませんでした/ },
        { name: 'logo.svg', type: 'image/svg+xml', data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'), message: /SVG・HTMLなどは受け付けません/ },
        { name: 'logo.png', type: 'image/png', data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), message: /JPEG・PNG・WebP形式/ },
        { name: 'notes.jpg', type: 'image/jpeg', data: Buffer.from('just some text, not a picture\n'), message: /JPEG・PNG・WebP形式/ },
        { name: 'half.png', type: 'image/png', data: png.subarray(0, Math.floor(png.length / 2)), message: /画像を読み取れませんでした/ },
        { name: 'empty.png', type: 'image/png', data: Buffer.alloc(0), message: /画像ファイルを選択してください/ },
      ];
      for (const k of cases) {
        const res = await upload(c, `${A}/products/${productId}/images`, { alt: '', file: k });
        assert.equal(res.status, 422, k.name);
        assert.match(res.html, k.message, k.name);
        assert.match(res.html, /class="field-error"/, k.name);
      }
      const noFile = await upload(c, `${A}/products/${productId}/images`, { alt: 'x', file: null });
      assert.equal(noFile.status, 422);
      assert.match(noFile.html, /画像ファイルを選択してください/);

      // 20 MB: refused before any handler runs, with a message in the console's words.
      const huge = Buffer.concat([png, Buffer.alloc(20 * 1024 * 1024)]);
      let status = 0;
      let html = '';
      try {
        const res = await upload(c, `${A}/products/${productId}/images`, { alt: '', file: { name: 'huge.png', type: 'image/png', data: huge } });
        status = res.status;
        html = res.html;
      } catch (err) {
        // The server may close the connection before the client finished sending 20 MB.
        status = 413;
        html = String(err);
        console.warn('oversize upload: connection closed early', err);
      }
      assert.equal(status, 413);
      if (html.includes('<html')) assert.match(html, /ファイルが大きすぎます/);

      const afterRows = await db().selectFrom('product_images').select('id').where('product_id', '=', productId).execute();
      assert.equal(afterRows.length, before.length, 'nothing was linked');
      assert.equal(readdirSync(shop.shop.services.mediaDir).length, filesBefore, 'nothing was stored');
    });

    test('image upload without the CSRF token is refused with 403', async () => {
      const before = await db().selectFrom('product_images').select('id').where('product_id', '=', productId).execute();
      await c.get(`${A}/products/${productId}`);
      const data = await picture('png');
      const missing = await upload(c, `${A}/products/${productId}/images`, { csrf: null, alt: 'x', file: { data, name: 'a.png', type: 'image/png' } });
      assert.equal(missing.status, 403);
      const wrong = await upload(c, `${A}/products/${productId}/images`, { csrf: 'forged-token', alt: 'x', file: { data, name: 'a.png', type: 'image/png' } });
      assert.equal(wrong.status, 403);
      const after = await db().selectFrom('product_images').select('id').where('product_id', '=', productId).execute();
      assert.equal(after.length, before.length);
      // multipart is accepted on the upload route only.
      const elsewhere = await upload(c, `${A}/products/${productId}/variants`, { alt: 'x', file: { data, name: 'a.png', type: 'image/png' } });
      assert.equal(elsewhere.status, 415);
    });

    test('delete an image and make another the first', async () => {
      const images = await db().selectFrom('product_images').selectAll().where('product_id', '=', productId).orderBy('sort_order').execute();
      assert.ok(images.length >= 2);
      await c.get(`${A}/products/${productId}`);
      const first = await c.post(`${A}/products/${productId}/images/${images[1]!.id}/first`, {});
      assert.match(first.html, /画像の順番を変更しました/);
      const ordered = await db().selectFrom('product_images').select('id').where('product_id', '=', productId).orderBy('sort_order').execute();
      assert.equal(ordered[0]!.id, images[1]!.id);
      const del = await c.post(`${A}/products/${productId}/images/${images[0]!.id}/delete`, {});
      assert.match(del.html, /画像を削除しました/);
      assert.equal(existsSync(join(shop.shop.services.mediaDir, images[0]!.file)), false, 'the file is removed');
      assert.equal((await db().selectFrom('product_images').select('id').where('id', '=', images[0]!.id).execute()).length, 0);
      assert.ok((await auditActions()).some((a) => a.action === 'image.delete' && a.target === images[0]!.id));
    });

    test('categories: create, rename, refuse deleting one with products, delete an empty one', async () => {
      await c.get(`${A}/categories`);
      const created = await c.post(`${A}/categories`, { slug: 'gift-sets', name_ja: 'ギフト', name_en: 'Gifts', sort_order: '9' });
      assert.match(created.html, /カテゴリーを追加しました/);
      const cat = await db().selectFrom('categories').selectAll().where('slug', '=', 'gift-sets').executeTakeFirstOrThrow();
      const dup = await c.post(`${A}/categories`, { slug: 'green-tea', name_ja: '重複', name_en: '', sort_order: '0' });
      assert.equal(dup.status, 422);
      assert.match(dup.html, /既に使われています/);
      const renamed = await c.post(`${A}/categories/${cat.id}`, { slug: 'gift-sets', name_ja: '<b>ギフトセット</b>', name_en: 'Gift sets', sort_order: '9' });
      assert.match(renamed.html, /カテゴリーを保存しました/);
      assert.match(renamed.html, /&lt;b>ギフトセット&lt;\/b>/, 'names are escaped');
      assert.doesNotMatch(renamed.html, /<b>ギフトセット/);
      const green = await db().selectFrom('categories').select('id').where('slug', '=', 'green-tea').executeTakeFirstOrThrow();
      const refused = await c.post(`${A}/categories/${green.id}/delete`, {});
      assert.equal(refused.status, 409);
      assert.match(refused.html, /商品があるため削除できません/);
      const deleted = await c.post(`${A}/categories/${cat.id}/delete`, {});
      assert.match(deleted.html, /カテゴリーを削除しました/);
      assert.equal((await db().selectFrom('categories').select('id').where('id', '=', cat.id).execute()).length, 0);
      const actions = (await auditActions()).map((a) => a.action);
      for (const a of ['category.create', 'category.update', 'category.delete']) assert.ok(actions.includes(a), a);
    });

    test('roles: a security user gets 403 on catalog pages and actions; no sign-in goes to the login', async () => {
      const sec = new Client(shop.url);
      await signedInStaff(shop.shop.services, sec, 'security', `sec-cat-${dialect}@example.jp`);
      for (const path of [`${A}/products`, `${A}/products/new`, `${A}/products/${productId}`, `${A}/categories`]) {
        assert.equal((await sec.get(path)).status, 403, path);
      }
      const post = await sec.request(`${A}/products/new`, { form: { _csrf: sec.csrf() }, follow: false });
      assert.equal(post.status, 403);
      const anon = new Client(shop.url);
      const res = await anon.request(`${A}/products`, { follow: false });
      assert.equal(res.status, 303);
      assert.match(res.headers.get('location') ?? '', /\/admin\/login/);
    });
  });
}
