import { productSearchText } from './search-text.js';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Insertable, Kysely } from 'kysely';
import { isUniqueViolation } from '../db/index.js';
import type { Database } from '../db/schema.js';
import { newId } from '../shared/ids.js';
import { DEMO_CATEGORIES, DEMO_PRODUCTS, demoImageFile, type DemoProduct } from './demo-data.js';
import { demoImageSvg } from './demo-images.js';
import type { CategoryTable, ProductImageTable, ProductTable, VariantTable } from './tables.js';

export interface DemoSeedResult {
  categories: number;
  products: number;
  variants: number;
}

const NOTHING: DemoSeedResult = { categories: 0, products: 0, variants: 0 };

/** The keyword-search text of a demo product: names, SKUs and description, NFKC-normalised and lower-cased. */
export function demoSearchText(p: DemoProduct): string {
  return productSearchText(p);
}

async function hasCategories(db: Kysely<Database>): Promise<boolean> {
  const row = await db.selectFrom('categories').select('id').limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Writes via a temporary file and a rename so a reader never sees half a picture. */
async function writeFileAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, content, { encoding: 'utf8', mode: 0o644 });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Fills an empty catalog with the まもり茶舗 demo data so a newcomer has something to look at.
 * Does nothing (and returns zeros) when any category already exists, so it is safe on every start.
 * Picture files are written before the rows that point at them; their names are fixed, so a
 * repeated or concurrent run overwrites them with identical content.
 */
export async function seedDemoCatalog(db: Kysely<Database>, mediaDir: string): Promise<DemoSeedResult> {
  if (await hasCategories(db)) return NOTHING;

  await mkdir(mediaDir, { recursive: true });
  for (const product of DEMO_PRODUCTS) {
    for (const [i, image] of product.images.entries()) {
      const file = demoImageFile(product.slug, i);
      const svg = demoImageSvg(file.replace(/\.svg$/, ''), { kind: image.kind, palette: image.palette });
      await writeFileAtomic(join(mediaDir, file), svg);
    }
  }

  const now = new Date().toISOString();
  const categoryIds = new Map<string, string>();
  const categories: Insertable<CategoryTable>[] = DEMO_CATEGORIES.map((c, i) => {
    const id = newId('cat');
    categoryIds.set(c.slug, id);
    return { id, slug: c.slug, name_ja: c.name_ja, name_en: c.name_en, sort_order: i, created_at: now };
  });

  const products: Insertable<ProductTable>[] = [];
  const images: Insertable<ProductImageTable>[] = [];
  const variants: Insertable<VariantTable>[] = [];
  for (const [i, p] of DEMO_PRODUCTS.entries()) {
    const categoryId = categoryIds.get(p.category);
    if (categoryId === undefined) throw new Error(`demo product ${p.slug}: unknown category ${p.category}`);
    const productId = newId('prd');
    products.push({
      id: productId,
      slug: p.slug,
      category_id: categoryId,
      name_ja: p.name_ja,
      name_en: p.name_en,
      description_md: p.description_md,
      description_md_en: p.description_md_en,
      tax_rate: p.tax_rate,
      published: 1,
      sort_order: i,
      search_text: demoSearchText(p),
      created_at: now,
      updated_at: now,
    });
    for (const [j, image] of p.images.entries()) {
      images.push({
        id: newId('img'),
        product_id: productId,
        file: demoImageFile(p.slug, j),
        alt_ja: image.alt_ja,
        sort_order: j,
      });
    }
    for (const [j, v] of p.variants.entries()) {
      variants.push({
        id: newId('var'),
        product_id: productId,
        sku: v.sku,
        name_ja: v.name_ja,
        name_en: v.name_en,
        price_yen: v.price_yen,
        stock: v.stock,
        sort_order: j,
        active: 1,
      });
    }
  }

  try {
    return await db.transaction().execute(async (trx) => {
      // Checked again inside the transaction: another process may have seeded in the meantime.
      if (await hasCategories(trx)) return NOTHING;
      await trx.insertInto('categories').values(categories).execute();
      await trx.insertInto('products').values(products).execute();
      await trx.insertInto('product_images').values(images).execute();
      await trx.insertInto('variants').values(variants).execute();
      return { categories: categories.length, products: products.length, variants: variants.length };
    });
  } catch (err) {
    // Two first starts racing (PostgreSQL, READ COMMITTED): the loser trips over the winner's slugs.
    if (isUniqueViolation(err) && (await hasCategories(db))) return NOTHING;
    throw err;
  }
}
