import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { nfkc } from '../shared/jp.js';
import type { CategoryTable, ProductImageTable, ProductTable, VariantTable } from './tables.js';

export type ProductSort = 'recommended' | 'new' | 'price_asc' | 'price_desc';
export const PRODUCT_SORTS: readonly ProductSort[] = ['recommended', 'new', 'price_asc', 'price_desc'];

export interface ProductCard {
  id: string;
  slug: string;
  name_ja: string;
  name_en: string;
  tax_rate: number;
  min_price: number;
  stock: number;
  image: string | null;
}

export interface ProductDetail {
  product: ProductTable;
  category: CategoryTable;
  variants: VariantTable[];
  images: ProductImageTable[];
}

export const LOW_STOCK = 5;

export class CatalogService {
  /**
   * Product pages are the hottest read: their data is kept for a moment (default 2 s). Stock shown
   * may lag by that much; stock taken at checkout never does (it is a conditional update).
   */
  private readonly detailCache = new Map<string, { at: number; value: ProductDetail | null }>();

  constructor(
    private readonly db: Db,
    private readonly cacheMs = 2000,
  ) {}

  /** Forget cached product data (after an edit in this process; other processes refresh within cacheMs). */
  invalidate(): void {
    this.detailCache.clear();
  }

  listCategories(): Promise<CategoryTable[]> {
    return this.db.selectFrom('categories').selectAll().orderBy('sort_order').execute();
  }

  async listProducts(opts: { categoryId?: string; q?: string; sort: ProductSort; page: number; perPage: number }): Promise<{ items: ProductCard[]; total: number }> {
    const priceAgg = this.db
      .selectFrom('variants')
      .select(['product_id', sql<number>`min(price_yen)`.as('min_price'), sql<number>`sum(stock)`.as('stock')])
      .where('active', '=', 1)
      .groupBy('product_id')
      .as('v');
    let q = this.db
      .selectFrom('products as p')
      .innerJoin(priceAgg, 'v.product_id', 'p.id')
      .where('p.published', '=', 1);
    if (opts.categoryId) q = q.where('p.category_id', '=', opts.categoryId);
    for (const term of searchTerms(opts.q ?? '')) {
      q = q.where(sql<boolean>`p.search_text like ${`%${escapeLike(term)}%`} escape '\\'`);
    }
    const countRow = await q.select(sql<number>`count(*)`.as('n')).executeTakeFirst();
    const total = Number(countRow?.n ?? 0);
    let listQ = q.select([
      'p.id', 'p.slug', 'p.name_ja', 'p.name_en', 'p.tax_rate', 'v.min_price', 'v.stock',
      (eb) =>
        eb
          .selectFrom('product_images as i')
          .select('i.file')
          .whereRef('i.product_id', '=', 'p.id')
          .orderBy('i.sort_order')
          .limit(1)
          .as('image'),
    ]);
    switch (opts.sort) {
      case 'new': listQ = listQ.orderBy('p.created_at', 'desc').orderBy('p.sort_order'); break;
      case 'price_asc': listQ = listQ.orderBy('v.min_price', 'asc'); break;
      case 'price_desc': listQ = listQ.orderBy('v.min_price', 'desc'); break;
      default: listQ = listQ.orderBy('p.sort_order');
    }
    const items = await listQ.orderBy('p.id').limit(opts.perPage).offset((opts.page - 1) * opts.perPage).execute();
    return { items: items.map((i) => ({ ...i, min_price: Number(i.min_price), stock: Number(i.stock) })), total };
  }

  async getProductBySlug(slug: string): Promise<ProductDetail | null> {
    const now = Date.now();
    const hit = this.detailCache.get(slug);
    if (hit && now - hit.at < this.cacheMs) return hit.value;
    const value = await this.loadProduct(slug);
    if (this.detailCache.size > 1000) this.detailCache.clear();
    this.detailCache.set(slug, { at: now, value });
    return value;
  }

  private async loadProduct(slug: string): Promise<ProductDetail | null> {
    const product = await this.db.selectFrom('products').selectAll().where('slug', '=', slug).where('published', '=', 1).executeTakeFirst();
    if (!product) return null;
    const [category, variants, images] = await Promise.all([
      this.db.selectFrom('categories').selectAll().where('id', '=', product.category_id).executeTakeFirstOrThrow(),
      this.db.selectFrom('variants').selectAll().where('product_id', '=', product.id).where('active', '=', 1).orderBy('sort_order').execute(),
      this.db.selectFrom('product_images').selectAll().where('product_id', '=', product.id).orderBy('sort_order').execute(),
    ]);
    return { product, category, variants, images };
  }

  getCategoryBySlug(slug: string): Promise<CategoryTable | undefined> {
    return this.db.selectFrom('categories').selectAll().where('slug', '=', slug).executeTakeFirst();
  }

  /** Variants with their product's name and tax rate, for the cart and checkout. */
  getVariantsForSale(ids: string[]) {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('variants as v')
      .innerJoin('products as p', 'p.id', 'v.product_id')
      .select([
        'v.id', 'v.sku', 'v.name_ja as variant_name', 'v.name_en as variant_name_en', 'v.price_yen', 'v.stock', 'v.active',
        'p.id as product_id', 'p.slug', 'p.name_ja as product_name', 'p.name_en as product_name_en', 'p.tax_rate', 'p.published',
        (eb) => eb.selectFrom('product_images as i').select('i.file').whereRef('i.product_id', '=', 'p.id').orderBy('i.sort_order').limit(1).as('image'),
      ])
      .where('v.id', 'in', ids)
      .execute();
  }

  /** Every variant on sale (published product, active variant) with its stock, for the staff order entry. */
  listVariantsForSale() {
    return this.db
      .selectFrom('variants as v')
      .innerJoin('products as p', 'p.id', 'v.product_id')
      .select(['v.id', 'v.sku', 'v.name_ja as variant_name', 'v.price_yen', 'v.stock', 'p.name_ja as product_name', 'p.tax_rate'])
      .where('p.published', '=', 1)
      .where('v.active', '=', 1)
      .orderBy('v.sku')
      .execute();
  }

  /**
   * The whole catalog for print (the paper order form): published products with their active
   * variants, by category and the shop's own order. Not cached: it is read rarely.
   */
  async paperCatalog(): Promise<PaperCatalogSection[]> {
    const rows = await this.db
      .selectFrom('variants as v')
      .innerJoin('products as p', 'p.id', 'v.product_id')
      .innerJoin('categories as c', 'c.id', 'p.category_id')
      .select(['c.id as category_id', 'c.name_ja as category', 'p.name_ja as product', 'p.tax_rate', 'v.sku', 'v.name_ja as variant', 'v.price_yen'])
      .where('p.published', '=', 1)
      .where('v.active', '=', 1)
      .orderBy('c.sort_order')
      .orderBy('c.id')
      .orderBy('p.sort_order')
      .orderBy('p.id')
      .orderBy('v.sort_order')
      .orderBy('v.id')
      .execute();
    const sections: PaperCatalogSection[] = [];
    for (const r of rows) {
      let section = sections.at(-1);
      if (!section || section.categoryId !== r.category_id) {
        section = { categoryId: r.category_id, category: r.category, items: [] };
        sections.push(section);
      }
      section.items.push({ sku: r.sku, product: r.product, variant: r.variant, priceYen: r.price_yen, taxRate: r.tax_rate });
    }
    return sections;
  }
}

/** One category of the printed catalog; each item is a variant (its own SKU and price). */
export interface PaperCatalogSection {
  categoryId: string;
  category: string;
  items: { sku: string; product: string; variant: string; priceYen: number; taxRate: number }[];
}

export type VariantForSale = Awaited<ReturnType<CatalogService['getVariantsForSale']>>[number];

/** Keyword search terms: NFKC, lower-cased, split on white space, at most 5, each at most 50 chars. */
export function searchTerms(q: string): string[] {
  return nfkc(q)
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 5)
    .map((t) => t.slice(0, 50));
}

function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}
