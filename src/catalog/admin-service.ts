import { sql, type UpdateResult } from 'kysely';
import type { AuditLog } from '../admin/audit.js';
import type { Db, DbOrTx, Tx } from '../db/index.js';
import { isUniqueViolation, nowIso } from '../db/index.js';
import { newId } from '../shared/ids.js';
import { searchTerms } from './service.js';
import type { CategoryTable, ProductImageTable, ProductTable, VariantTable } from './tables.js';

/**
 * The keyword-search text of a product: names, SKUs and the Japanese description, NFKC-normalised
 * and lower-cased. The one definition: the demo seed (`demoSearchText`) and the admin console
 * build `products.search_text` the same way.
 */
import { productSearchText } from './search-text.js';
export { productSearchText };

export interface ProductInput {
  category_id: string;
  slug: string;
  name_ja: string;
  name_en: string;
  tax_rate: 8 | 10;
  published: boolean;
  sort_order: number;
  description_md: string;
  description_md_en: string | null;
}

export interface VariantInput {
  sku: string;
  name_ja: string;
  name_en: string;
  price_yen: number;
  sort_order: number;
  active: boolean;
}

export interface CategoryInput {
  slug: string;
  name_ja: string;
  name_en: string;
  sort_order: number;
}

export type StockChange = { mode: 'delta'; delta: number } | { mode: 'set'; value: number; expected: number };

/** A refusal tied to one form field (shown next to it), or to the whole form (`_form`). */
export type Outcome<T = void> = { ok: true; value: T } | { ok: false; field: string; message: string };

export interface AdminProductRow {
  id: string;
  slug: string;
  name_ja: string;
  published: number;
  tax_rate: number;
  category_name: string;
  variants: number;
  min_price: number | null;
  stock: number;
  image: string | null;
  updated_at: string;
}

export interface AdminProductDetail {
  product: ProductTable;
  variants: VariantTable[];
  images: ProductImageTable[];
}

export const MAX_IMAGES_PER_PRODUCT = 20;

const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
const fail = (field: string, message: string): Outcome<never> => ({ ok: false, field, message });

const SLUG_TAKEN = 'このスラッグ（URL）は既に使われています。別の値にしてください。';
const SKU_TAKEN = 'このSKUは既に使われています。';

/** Short before/after pairs of the keys that changed (long text only as its length). */
function diff<T extends object>(before: T, after: Partial<T>): Record<string, { before: unknown; after: unknown }> {
  const out: Record<string, { before: unknown; after: unknown }> = {};
  for (const key of Object.keys(after) as (keyof T & string)[]) {
    const a = before[key];
    const b = after[key];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    const brief = (v: unknown) => (typeof v === 'string' && v.length > 120 ? `(${v.length}文字)` : v);
    out[key] = { before: brief(a), after: brief(b) };
  }
  return out;
}

function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Catalog maintenance for the admin console: products, variants, stock, categories and image rows.
 * Every change is written together with its audit entry in one transaction. (Image files are
 * handled by `images.ts`; this service links them to products.)
 */
export class CatalogAdminService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    /** Called after each committed change, e.g. to drop the storefront's product cache. */
    private readonly onChange: () => void = () => undefined,
  ) {}

  /** Runs a change in a transaction and, once it committed, tells the storefront caches. */
  private async change<T>(fn: (trx: Tx) => Promise<T>): Promise<T> {
    const result = await this.db.transaction().execute(fn);
    this.onChange();
    return result;
  }

  // ---- products ------------------------------------------------------------------------------

  async listProducts(opts: { q: string; categoryId: string | null; published: 'all' | 'published' | 'draft'; page: number; perPage: number }): Promise<{ items: AdminProductRow[]; total: number }> {
    const agg = this.db
      .selectFrom('variants')
      .select(['product_id', sql<number>`count(*)`.as('n'), sql<number | null>`min(price_yen)`.as('min_price'), sql<number>`sum(stock)`.as('stock')])
      .groupBy('product_id')
      .as('v');
    let q = this.db
      .selectFrom('products as p')
      .innerJoin('categories as c', 'c.id', 'p.category_id')
      .leftJoin(agg, 'v.product_id', 'p.id');
    if (opts.categoryId) q = q.where('p.category_id', '=', opts.categoryId);
    if (opts.published === 'published') q = q.where('p.published', '=', 1);
    if (opts.published === 'draft') q = q.where('p.published', '=', 0);
    for (const term of searchTerms(opts.q)) {
      q = q.where(sql<boolean>`p.search_text like ${`%${escapeLike(term)}%`} escape '\\'`);
    }
    const countRow = await q.select(sql<number>`count(*)`.as('n')).executeTakeFirst();
    const rows = await q
      .select([
        'p.id', 'p.slug', 'p.name_ja', 'p.published', 'p.tax_rate', 'p.updated_at', 'c.name_ja as category_name',
        'v.n as variants', 'v.min_price', 'v.stock',
        (eb) => eb.selectFrom('product_images as i').select('i.file').whereRef('i.product_id', '=', 'p.id').orderBy('i.sort_order').limit(1).as('image'),
      ])
      .orderBy('p.sort_order')
      .orderBy('p.created_at', 'desc')
      .orderBy('p.id')
      .limit(opts.perPage)
      .offset((opts.page - 1) * opts.perPage)
      .execute();
    return {
      total: Number(countRow?.n ?? 0),
      items: rows.map((r) => ({
        ...r,
        variants: Number(r.variants ?? 0),
        min_price: r.min_price === null ? null : Number(r.min_price),
        stock: Number(r.stock ?? 0),
        image: r.image ?? null,
      })),
    };
  }

  async getProduct(id: string): Promise<AdminProductDetail | null> {
    const product = await this.db.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirst();
    if (!product) return null;
    const [variants, images] = await Promise.all([
      this.db.selectFrom('variants').selectAll().where('product_id', '=', id).orderBy('sort_order').orderBy('sku').execute(),
      this.db.selectFrom('product_images').selectAll().where('product_id', '=', id).orderBy('sort_order').orderBy('id').execute(),
    ]);
    return { product, variants, images };
  }

  /** Recomputes `search_text` from the product's current names, SKUs and description. */
  private async refreshSearchText(trx: DbOrTx, productId: string): Promise<void> {
    const p = await trx.selectFrom('products').select(['name_ja', 'name_en', 'description_md']).where('id', '=', productId).executeTakeFirstOrThrow();
    const variants = await trx.selectFrom('variants').select('sku').where('product_id', '=', productId).orderBy('sort_order').orderBy('sku').execute();
    await trx.updateTable('products').set({ search_text: productSearchText({ ...p, variants }) }).where('id', '=', productId).execute();
  }

  private async categoryExists(db: DbOrTx, id: string): Promise<boolean> {
    return (await db.selectFrom('categories').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
  }

  async createProduct(actor: string, input: ProductInput): Promise<Outcome<string>> {
    if (!(await this.categoryExists(this.db, input.category_id))) return fail('category_id', 'カテゴリーを選択してください。');
    if (await this.db.selectFrom('products').select('id').where('slug', '=', input.slug).executeTakeFirst()) return fail('slug', SLUG_TAKEN);
    const id = newId('prd');
    const now = nowIso();
    try {
      await this.change(async (trx) => {
        await trx
          .insertInto('products')
          .values({
            id, slug: input.slug, category_id: input.category_id, name_ja: input.name_ja, name_en: input.name_en,
            description_md: input.description_md, description_md_en: input.description_md_en, tax_rate: input.tax_rate,
            published: input.published ? 1 : 0, sort_order: input.sort_order,
            search_text: productSearchText({ ...input, variants: [] }), created_at: now, updated_at: now,
          })
          .execute();
        await this.audit.append({ actor, action: 'product.create', target: id, detail: { slug: input.slug, name_ja: input.name_ja, published: input.published } }, trx);
      });
    } catch (err) {
      if (isUniqueViolation(err)) return fail('slug', SLUG_TAKEN);
      throw err;
    }
    return ok(id);
  }

  async updateProduct(actor: string, id: string, input: ProductInput): Promise<Outcome<null>> {
    const before = await this.db.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirst();
    if (!before) return fail('_form', '商品が見つかりません。');
    if (!(await this.categoryExists(this.db, input.category_id))) return fail('category_id', 'カテゴリーを選択してください。');
    const clash = await this.db.selectFrom('products').select('id').where('slug', '=', input.slug).where('id', '<>', id).executeTakeFirst();
    if (clash) return fail('slug', SLUG_TAKEN);
    const next = {
      category_id: input.category_id, slug: input.slug, name_ja: input.name_ja, name_en: input.name_en, tax_rate: input.tax_rate,
      published: input.published ? 1 : 0, sort_order: input.sort_order, description_md: input.description_md, description_md_en: input.description_md_en,
    };
    const changes = diff(before, next);
    if (Object.keys(changes).length === 0) return ok(null);
    try {
      await this.change(async (trx) => {
        await trx.updateTable('products').set({ ...next, updated_at: nowIso() }).where('id', '=', id).execute();
        await this.refreshSearchText(trx, id);
        await this.audit.append({ actor, action: 'product.update', target: id, detail: { changes } }, trx);
      });
    } catch (err) {
      if (isUniqueViolation(err)) return fail('slug', SLUG_TAKEN);
      throw err;
    }
    return ok(null);
  }

  // ---- variants ------------------------------------------------------------------------------

  async addVariant(actor: string, productId: string, input: VariantInput & { stock: number }): Promise<Outcome<string>> {
    if (await this.db.selectFrom('variants').select('id').where('sku', '=', input.sku).executeTakeFirst()) return fail('sku', SKU_TAKEN);
    const id = newId('var');
    try {
      await this.change(async (trx) => {
        const product = await trx.selectFrom('products').select('id').where('id', '=', productId).executeTakeFirst();
        if (!product) throw new NotFound();
        await trx
          .insertInto('variants')
          .values({
            id, product_id: productId, sku: input.sku, name_ja: input.name_ja, name_en: input.name_en, price_yen: input.price_yen,
            stock: input.stock, sort_order: input.sort_order, active: input.active ? 1 : 0,
          })
          .execute();
        await trx.updateTable('products').set({ updated_at: nowIso() }).where('id', '=', productId).execute();
        await this.refreshSearchText(trx, productId);
        await this.audit.append({ actor, action: 'variant.create', target: id, detail: { product: productId, sku: input.sku, price_yen: input.price_yen, stock: input.stock, active: input.active } }, trx);
      });
    } catch (err) {
      if (err instanceof NotFound) return fail('_form', '商品が見つかりません。');
      if (isUniqueViolation(err)) return fail('sku', SKU_TAKEN);
      throw err;
    }
    return ok(id);
  }

  async updateVariant(actor: string, productId: string, variantId: string, input: VariantInput): Promise<Outcome<null>> {
    const before = await this.db.selectFrom('variants').selectAll().where('id', '=', variantId).where('product_id', '=', productId).executeTakeFirst();
    if (!before) return fail('_form', 'SKUが見つかりません。');
    const clash = await this.db.selectFrom('variants').select('id').where('sku', '=', input.sku).where('id', '<>', variantId).executeTakeFirst();
    if (clash) return fail('sku', SKU_TAKEN);
    const next = { sku: input.sku, name_ja: input.name_ja, name_en: input.name_en, price_yen: input.price_yen, sort_order: input.sort_order, active: input.active ? 1 : 0 };
    const changes = diff(before, next);
    if (Object.keys(changes).length === 0) return ok(null);
    try {
      await this.change(async (trx) => {
        await trx.updateTable('variants').set(next).where('id', '=', variantId).execute();
        await trx.updateTable('products').set({ updated_at: nowIso() }).where('id', '=', productId).execute();
        await this.refreshSearchText(trx, productId);
        await this.audit.append({ actor, action: 'variant.update', target: variantId, detail: { product: productId, changes } }, trx);
      });
    } catch (err) {
      if (isUniqueViolation(err)) return fail('sku', SKU_TAKEN);
      throw err;
    }
    return ok(null);
  }

  /**
   * Stock in or out by a difference (atomic: orders taking stock at the same moment are not
   * overwritten), or set to a count — only if it is still the count the form showed.
   */
  async adjustStock(actor: string, productId: string, variantId: string, change: StockChange, reason: string | null): Promise<Outcome<{ before: number; after: number }>> {
    return this.change(async (trx) => {
      const v = await trx.selectFrom('variants').select(['id', 'sku', 'stock']).where('id', '=', variantId).where('product_id', '=', productId).executeTakeFirst();
      if (!v) return fail('_form', 'SKUが見つかりません。');
      let res: UpdateResult;
      if (change.mode === 'delta') {
        if (change.delta === 0) return fail('amount', '0以外の数を入力してください。');
        if (v.stock + change.delta < 0) return fail('amount', `在庫が足りません（現在 ${v.stock}）。`);
        res = await trx
          .updateTable('variants')
          .set({ stock: sql<number>`stock + ${change.delta}` })
          .where('id', '=', variantId)
          .where(sql<boolean>`stock + ${change.delta} >= 0`)
          .executeTakeFirst();
      } else {
        if (v.stock !== change.expected) return fail('amount', `在庫数が他の操作（注文など）で ${change.expected} から ${v.stock} に変わりました。確認してからもう一度設定してください。`);
        res = await trx.updateTable('variants').set({ stock: change.value }).where('id', '=', variantId).where('stock', '=', change.expected).executeTakeFirst();
      }
      if (Number(res.numUpdatedRows) !== 1) return fail('amount', '在庫数が他の操作で変わりました。もう一度お試しください。');
      const after = (await trx.selectFrom('variants').select('stock').where('id', '=', variantId).executeTakeFirstOrThrow()).stock;
      await this.audit.append(
        { actor, action: 'stock.adjust', target: variantId, detail: { product: productId, sku: v.sku, before: v.stock, after, mode: change.mode, reason } },
        trx,
      );
      return ok({ before: v.stock, after });
    });
  }

  // ---- images --------------------------------------------------------------------------------

  imageCount(productId: string): Promise<number> {
    return this.db
      .selectFrom('product_images')
      .select(sql<number>`count(*)`.as('n'))
      .where('product_id', '=', productId)
      .executeTakeFirst()
      .then((r) => Number(r?.n ?? 0));
  }

  /** Links a stored file to the product, after its other pictures. */
  async addImage(actor: string, productId: string, file: string, alt: string, detail: Record<string, unknown>): Promise<Outcome<string>> {
    const id = newId('img');
    try {
      await this.change(async (trx) => {
        const product = await trx.selectFrom('products').select('id').where('id', '=', productId).executeTakeFirst();
        if (!product) throw new NotFound();
        const last = await trx.selectFrom('product_images').select(sql<number | null>`max(sort_order)`.as('m')).where('product_id', '=', productId).executeTakeFirst();
        const sortOrder = last?.m === null || last?.m === undefined ? 0 : Number(last.m) + 1;
        await trx.insertInto('product_images').values({ id, product_id: productId, file, alt_ja: alt, sort_order: sortOrder }).execute();
        await trx.updateTable('products').set({ updated_at: nowIso() }).where('id', '=', productId).execute();
        await this.audit.append({ actor, action: 'image.upload', target: id, detail: { product: productId, file, ...detail } }, trx);
      });
    } catch (err) {
      if (err instanceof NotFound) return fail('image', '商品が見つかりません。');
      throw err;
    }
    return ok(id);
  }

  /** Unlinks a picture; returns its file name so the caller can remove the file. */
  async deleteImage(actor: string, productId: string, imageId: string): Promise<string | null> {
    return this.change(async (trx) => {
      const img = await trx.selectFrom('product_images').selectAll().where('id', '=', imageId).where('product_id', '=', productId).executeTakeFirst();
      if (!img) return null;
      await trx.deleteFrom('product_images').where('id', '=', imageId).execute();
      await trx.updateTable('products').set({ updated_at: nowIso() }).where('id', '=', productId).execute();
      await this.audit.append({ actor, action: 'image.delete', target: imageId, detail: { product: productId, file: img.file } }, trx);
      // Another product may (from an old import) point at the same file: keep it then.
      const still = await trx.selectFrom('product_images').select('id').where('file', '=', img.file).executeTakeFirst();
      return still ? null : img.file;
    });
  }

  /** Makes a picture the first one (the one on product cards). */
  async moveImageFirst(actor: string, productId: string, imageId: string): Promise<boolean> {
    return this.change(async (trx) => {
      const img = await trx.selectFrom('product_images').select(['id', 'sort_order']).where('id', '=', imageId).where('product_id', '=', productId).executeTakeFirst();
      if (!img) return false;
      const first = await trx.selectFrom('product_images').select(sql<number | null>`min(sort_order)`.as('m')).where('product_id', '=', productId).executeTakeFirst();
      const min = Number(first?.m ?? 0);
      await trx.updateTable('product_images').set({ sort_order: min - 1 }).where('id', '=', imageId).execute();
      await this.audit.append({ actor, action: 'image.reorder', target: imageId, detail: { product: productId, first: true } }, trx);
      return true;
    });
  }

  // ---- categories ----------------------------------------------------------------------------

  listCategories(): Promise<(CategoryTable & { products: number })[]> {
    return this.db
      .selectFrom('categories as c')
      .selectAll('c')
      .select((eb) => eb.selectFrom('products as p').select(sql<number>`count(*)`.as('n')).whereRef('p.category_id', '=', 'c.id').as('products'))
      .orderBy('c.sort_order')
      .orderBy('c.name_ja')
      .execute()
      .then((rows) => rows.map((r) => ({ ...r, products: Number(r.products ?? 0) })));
  }

  async createCategory(actor: string, input: CategoryInput): Promise<Outcome<string>> {
    if (await this.db.selectFrom('categories').select('id').where('slug', '=', input.slug).executeTakeFirst()) return fail('slug', SLUG_TAKEN);
    const id = newId('cat');
    try {
      await this.change(async (trx) => {
        await trx.insertInto('categories').values({ id, ...input, created_at: nowIso() }).execute();
        await this.audit.append({ actor, action: 'category.create', target: id, detail: { ...input } }, trx);
      });
    } catch (err) {
      if (isUniqueViolation(err)) return fail('slug', SLUG_TAKEN);
      throw err;
    }
    return ok(id);
  }

  async updateCategory(actor: string, id: string, input: CategoryInput): Promise<Outcome<null>> {
    const before = await this.db.selectFrom('categories').selectAll().where('id', '=', id).executeTakeFirst();
    if (!before) return fail('_form', 'カテゴリーが見つかりません。');
    const clash = await this.db.selectFrom('categories').select('id').where('slug', '=', input.slug).where('id', '<>', id).executeTakeFirst();
    if (clash) return fail('slug', SLUG_TAKEN);
    const changes = diff(before, input);
    if (Object.keys(changes).length === 0) return ok(null);
    try {
      await this.change(async (trx) => {
        await trx.updateTable('categories').set(input).where('id', '=', id).execute();
        await this.audit.append({ actor, action: 'category.update', target: id, detail: { changes } }, trx);
      });
    } catch (err) {
      if (isUniqueViolation(err)) return fail('slug', SLUG_TAKEN);
      throw err;
    }
    return ok(null);
  }

  /** Deletes an empty category; one that still holds products is kept. */
  async deleteCategory(actor: string, id: string): Promise<Outcome<null>> {
    return this.change(async (trx) => {
      const cat = await trx.selectFrom('categories').selectAll().where('id', '=', id).executeTakeFirst();
      if (!cat) return fail('_form', 'カテゴリーが見つかりません。');
      const used = await trx.selectFrom('products').select('id').where('category_id', '=', id).limit(1).executeTakeFirst();
      if (used) return fail('_form', `「${cat.name_ja}」には商品があるため削除できません。先に商品を別のカテゴリーへ移してください。`);
      await trx.deleteFrom('categories').where('id', '=', id).execute();
      await this.audit.append({ actor, action: 'category.delete', target: id, detail: { slug: cat.slug, name_ja: cat.name_ja } }, trx);
      return ok(null);
    });
  }
}

class NotFound extends Error {}
