import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { DEMO_CATEGORIES, DEMO_PRODUCTS } from '../../src/catalog/demo-data.js';
import { demoImageSvg } from '../../src/catalog/demo-images.js';
import { seedDemoCatalog } from '../../src/catalog/demo.js';
import { openDatabase, type Db } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';

/** Every tag opened is closed in order, no text outside the root, and nothing active or external. */
function assertSafeSvg(name: string, svg: string): void {
  assert.ok(svg.length < 4096, `${name}: ${svg.length} bytes, expected < 4 KB`);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="800" height="800" viewBox="0 0 800 800">/);
  assert.match(svg, /<\/svg>\s*$/);
  assert.doesNotMatch(svg, /<script/i, `${name}: script`);
  assert.doesNotMatch(svg, /foreignObject/i, `${name}: foreignObject`);
  assert.doesNotMatch(svg, /href\s*=\s*["']?\s*(https?:|\/\/|data:|javascript:)/i, `${name}: external href`);
  assert.doesNotMatch(svg, /\son[a-z]+\s*=/i, `${name}: event handler attribute`);
  assert.doesNotMatch(svg, /url\(\s*["']?(https?:|\/\/)/i, `${name}: external url()`);

  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<>]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(svg); m !== null; m = tag.exec(svg)) {
    assert.equal(svg.slice(last, m.index).trim(), '', `${name}: stray text before <${m[2]}>`);
    last = tag.lastIndex;
    const [, closing, tagName, , selfClosing] = m;
    if (closing) assert.equal(stack.pop(), tagName, `${name}: mismatched </${tagName}>`);
    else if (!selfClosing) stack.push(tagName!);
  }
  assert.equal(svg.slice(last).trim(), '', `${name}: trailing text or malformed tag`);
  assert.deepEqual(stack, [], `${name}: unclosed tags`);
}

async function count(db: Db, table: 'categories' | 'products' | 'variants' | 'product_images'): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

async function exerciseSeed(db: Db, mediaDir: string): Promise<void> {
  await migrateToLatest(db);
  const expectedVariants = DEMO_PRODUCTS.reduce((n, p) => n + p.variants.length, 0);

  const first = await seedDemoCatalog(db, mediaDir);
  assert.deepEqual(first, {
    categories: DEMO_CATEGORIES.length,
    products: DEMO_PRODUCTS.length,
    variants: expectedVariants,
  });
  assert.equal(first.categories, 4);
  assert.ok(first.products >= 12 && first.products <= 16, `${first.products} products`);
  assert.equal(await count(db, 'categories'), first.categories);
  assert.equal(await count(db, 'products'), first.products);
  assert.equal(await count(db, 'variants'), first.variants);
  const imageCount = await count(db, 'product_images');

  // Idempotent: a second start leaves everything as it was.
  const second = await seedDemoCatalog(db, mediaDir);
  assert.deepEqual(second, { categories: 0, products: 0, variants: 0 });
  assert.equal(await count(db, 'categories'), first.categories);
  assert.equal(await count(db, 'products'), first.products);
  assert.equal(await count(db, 'variants'), first.variants);
  assert.equal(await count(db, 'product_images'), imageCount);

  const products = await db.selectFrom('products').selectAll().orderBy('sort_order').execute();
  const variants = await db.selectFrom('variants').selectAll().execute();
  const images = await db.selectFrom('product_images').selectAll().execute();
  const categories = await db.selectFrom('categories').selectAll().orderBy('sort_order').execute();
  assert.deepEqual(
    categories.map((c) => c.slug),
    DEMO_CATEGORIES.map((c) => c.slug),
  );
  const teawareId = categories.find((c) => c.slug === 'teaware')?.id;
  assert.ok(teawareId);

  for (const p of products) {
    assert.match(p.id, /^prd_[0-9A-Z]{16}$/);
    assert.match(p.slug, /^[a-z0-9]+(-[a-z0-9]+)*$/);
    assert.equal(p.published, 1);
    assert.ok(p.tax_rate === 8 || p.tax_rate === 10);
    // Food and drink take the reduced rate; goods the standard one.
    assert.equal(p.tax_rate, p.category_id === teawareId ? 10 : 8, `${p.slug}: tax rate`);
    assert.equal(p.search_text, p.search_text.normalize('NFKC').toLowerCase());
    assert.ok(p.search_text.includes(p.name_ja.normalize('NFKC').toLowerCase()));
    assert.ok(!Number.isNaN(Date.parse(p.created_at)) && p.created_at.endsWith('Z'));
    assert.match(p.description_md, /^### /m, `${p.slug}: description has headings`);

    const own = variants.filter((v) => v.product_id === p.id);
    assert.ok(own.length >= 1 && own.length <= 4, `${p.slug}: ${own.length} variants`);
    for (const v of own) {
      assert.ok(p.search_text.includes(v.sku.toLowerCase()), `${p.slug}: search_text lacks ${v.sku}`);
      assert.ok(Number.isInteger(v.price_yen) && v.price_yen > 0, `${v.sku}: price`);
      assert.ok(Number.isInteger(v.stock) && v.stock >= 0, `${v.sku}: stock`);
      assert.equal(v.active, 1);
    }

    const pics = images.filter((i) => i.product_id === p.id);
    assert.ok(pics.length >= 1 && pics.length <= 2, `${p.slug}: ${pics.length} images`);
    for (const img of pics) {
      assert.match(img.file, /^[a-z0-9-]+\.svg$/, 'file name only, no directory');
      assert.ok(img.alt_ja.length > 0);
      const path = join(mediaDir, img.file);
      assert.ok(existsSync(path), `${img.file} on disk`);
      assertSafeSvg(img.file, await readFile(path, 'utf8'));
    }
  }

  assert.ok(products.some((p) => p.tax_rate === 8), 'some 8% products');
  assert.ok(products.some((p) => p.tax_rate === 10), 'some 10% products');
  assert.equal(new Set(variants.map((v) => v.sku)).size, variants.length, 'SKUs are unique');
  assert.ok(variants.some((v) => v.stock === 0), 'one variant sold out');
  assert.ok(variants.some((v) => v.stock > 0 && v.stock <= 3), 'one variant nearly sold out');
  assert.ok(products.some((p) => p.description_md_en !== null), 'some English descriptions');
}

test('demo images are distinct, small and inert', () => {
  const seen = new Set<string>();
  for (const p of DEMO_PRODUCTS) {
    for (const [i, image] of p.images.entries()) {
      const svg = demoImageSvg(`${p.slug}-${i + 1}`, { kind: image.kind, palette: image.palette });
      assertSafeSvg(`${p.slug}-${i + 1}`, svg);
      assert.ok(!seen.has(svg), `${p.slug}-${i + 1} duplicates another picture`);
      seen.add(svg);
    }
  }
  const palette = { bg: '#ffffff', main: '#000000', dark: '#000000', light: '#ffffff', accent: '"/><script>' };
  assert.throws(() => demoImageSvg('x', { kind: 'cup', palette }), /palette\.accent/);
});

test('demo catalog seeds SQLite once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mamori-demo-'));
  const handle = openDatabase({ databaseUrl: null, dataDir: join(dir, 'data') });
  try {
    await exerciseSeed(handle.db, join(dir, 'media', 'nested'));
  } finally {
    await handle.close();
    await rm(dir, { recursive: true, force: true });
  }
});

const pgUrl = process.env.TEST_DATABASE_URL;

test('demo catalog seeds PostgreSQL once', pgUrl ? {} : { skip: 'TEST_DATABASE_URL not set' }, async () => {
  assert.ok(pgUrl);
  const schema = `mamori_demo_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  const dir = await mkdtemp(join(tmpdir(), 'mamori-demo-pg-'));
  try {
    await admin.query(`create schema ${schema}`);
    const url = `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const handle = openDatabase({ databaseUrl: url, dataDir: join(dir, 'data'), poolSize: 2 });
    try {
      await exerciseSeed(handle.db, join(dir, 'media'));
      // The rows really are in the throwaway schema, not in public.
      const { rows } = await admin.query<{ n: string }>(`select count(*) as n from ${schema}.products`);
      assert.equal(Number(rows[0]?.n), DEMO_PRODUCTS.length);
    } finally {
      await handle.close();
    }
  } finally {
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
});
