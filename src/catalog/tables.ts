export interface CategoryTable {
  id: string;
  slug: string;
  name_ja: string;
  name_en: string;
  sort_order: number;
  created_at: string;
}
export interface ProductTable {
  id: string;
  slug: string;
  category_id: string;
  name_ja: string;
  name_en: string;
  /** Markdown, rendered through a sanitiser; never raw HTML. */
  description_md: string;
  description_md_en: string | null;
  /** 8 (軽減税率, food) or 10 (standard). */
  tax_rate: number;
  published: number;
  sort_order: number;
  /** NFKC-normalised, lower-cased names, SKUs and description for keyword search. */
  search_text: string;
  created_at: string;
  updated_at: string;
}
export interface ProductImageTable {
  id: string;
  product_id: string;
  /** File name under the media directory. */
  file: string;
  alt_ja: string;
  sort_order: number;
}
export interface VariantTable {
  id: string;
  product_id: string;
  sku: string;
  name_ja: string;
  name_en: string;
  /** Tax-inclusive unit price in integer yen (総額表示). */
  price_yen: number;
  stock: number;
  sort_order: number;
  active: number;
}
