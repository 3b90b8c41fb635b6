import { Csrf, Layout, Pager, Price } from '../web/layout.js';
import type { ViewCtx } from '../web/view.js';
import type { ProductCard, ProductDetail, ProductSort } from './service.js';
import { LOW_STOCK, PRODUCT_SORTS } from './service.js';
import type { CategoryTable } from './tables.js';

const name = (v: ViewCtx, o: { name_ja: string; name_en: string }) => (v.lang === 'en' ? o.name_en : o.name_ja);

function StockTag(props: { v: ViewCtx; stock: number }) {
  if (props.stock <= 0) return <span class="tag out">{props.v.t('stock.out')}</span>;
  if (props.stock <= LOW_STOCK) return <span class="tag warn">{props.v.t('stock.low')}</span>;
  return <span class="tag">{props.v.t('stock.in')}</span>;
}

function ProductGrid(props: { v: ViewCtx; items: ProductCard[] }) {
  if (props.items.length === 0) return <p>{props.v.t('products.none')}</p>;
  return (
    <div class="grid">
      {props.items.map((p) => (
        <a class="card" href={`/products/${p.slug}`}>
          {p.image ? <img src={`/media/${p.image}`} alt="" width={400} height={400} loading="lazy" /> : null}
          <div class="body">
            <h3>{name(props.v, p)}</h3>
            <Price yen={p.min_price} v={props.v} />
            {' '}
            <StockTag v={props.v} stock={p.stock} />
            {p.tax_rate === 8 ? <p class="hint">軽減税率8%対象</p> : null}
          </div>
        </a>
      ))}
    </div>
  );
}

export function HomePage(props: { v: ViewCtx; categories: CategoryTable[]; featured: ProductCard[] }) {
  const { v } = props;
  return (
    <Layout v={v} title="">
      <section class="hero">
        <h1>{v.lang === 'en' ? 'Tea from the growers we know, sweets made by hand' : '顔の見える茶園のお茶と、手づくりの和菓子'}</h1>
        <p>
          {v.lang === 'en'
            ? 'Prices include consumption tax. Orders over ¥11,000 ship free.'
            : '表示価格はすべて税込です。11,000円以上のご注文で送料無料。'}
        </p>
      </section>
      <h2>{v.lang === 'en' ? 'Categories' : 'カテゴリー'}</h2>
      <ul class="cats">
        {props.categories.map((c) => (
          <li>
            <a href={`/categories/${c.slug}`}>{name(v, c)}</a>
          </li>
        ))}
      </ul>
      <h2>{v.lang === 'en' ? 'Featured' : 'おすすめ商品'}</h2>
      <ProductGrid v={v} items={props.featured} />
    </Layout>
  );
}

export function ProductListPage(props: {
  v: ViewCtx;
  title: string;
  categories: CategoryTable[];
  current: CategoryTable | null;
  items: ProductCard[];
  total: number;
  page: number;
  pages: number;
  sort: ProductSort;
  q: string;
  basePath: string;
}) {
  const { v } = props;
  const sortLabels: Record<ProductSort, string> = {
    recommended: v.t('products.sort.recommended'),
    new: v.t('products.sort.new'),
    price_asc: v.t('products.sort.priceAsc'),
    price_desc: v.t('products.sort.priceDesc'),
  };
  const href = (page: number, sort = props.sort) => {
    const params = new URLSearchParams();
    if (props.q) params.set('q', props.q);
    if (sort !== 'recommended') params.set('sort', sort);
    if (page > 1) params.set('page', String(page));
    const s = params.toString();
    return s ? `${props.basePath}?${s}` : props.basePath;
  };
  return (
    <Layout v={v} title={props.title}>
      <h1>{props.title}</h1>
      <ul class="cats">
        <li>
          <a href="/products" aria-current={props.current === null && !props.q ? 'page' : undefined}>すべて</a>
        </li>
        {props.categories.map((c) => (
          <li>
            <a href={`/categories/${c.slug}`} aria-current={props.current?.id === c.id ? 'page' : undefined}>
              {name(v, c)}
            </a>
          </li>
        ))}
      </ul>
      <div class="toolbar">
        <p>{props.total}件</p>
        <nav aria-label="並び替え">
          {PRODUCT_SORTS.map((s, i) => (
            <>
              {i > 0 ? ' | ' : ''}
              {s === props.sort ? <strong>{sortLabels[s]}</strong> : <a href={href(1, s)}>{sortLabels[s]}</a>}
            </>
          ))}
        </nav>
      </div>
      <ProductGrid v={v} items={props.items} />
      <Pager v={v} page={props.page} pages={props.pages} href={(p) => href(p)} />
    </Layout>
  );
}

export function ProductPage(props: { v: ViewCtx; detail: ProductDetail; descriptionHtml: string }) {
  const { v, detail } = props;
  const { product } = detail;
  const firstInStock = detail.variants.find((x) => x.stock > 0);
  return (
    <Layout v={v} title={name(v, product)}>
      <nav class="hint" aria-label="パンくず">
        <a href="/">{v.t('nav.home')}</a> › <a href={`/categories/${detail.category.slug}`}>{name(v, detail.category)}</a>
      </nav>
      <div class="product">
        <div class="gallery">
          {detail.images.map((img) => (
            <img src={`/media/${img.file}`} alt={img.alt_ja} width={800} height={800} />
          ))}
        </div>
        <div>
          <h1>{name(v, product)}</h1>
          {product.tax_rate === 8 ? <p class="hint">軽減税率（8%）対象商品</p> : <p class="hint">消費税10%対象商品</p>}
          <form method="post" action="/cart/add" class="panel">
            <Csrf v={v} />
            <fieldset class="variants">
              <legend>{v.lang === 'en' ? 'Choose' : '種類を選ぶ'}</legend>
              {detail.variants.map((variant) => (
                <label class="variant">
                  <input type="radio" name="variant_id" value={variant.id} disabled={variant.stock <= 0} checked={variant.id === firstInStock?.id} required />
                  <span class="name">
                    {name(v, variant)}
                    <br />
                    <small class="hint">SKU {variant.sku}</small>
                  </span>
                  <span>
                    <Price yen={variant.price_yen} v={v} />
                    <br />
                    <StockTag v={v} stock={variant.stock} />
                    {variant.stock > 0 && variant.stock <= 5 ? <small class="hint"> 残り{variant.stock}点</small> : null}
                  </span>
                </label>
              ))}
            </fieldset>
            <div class="field">
              <label for="qty">{v.lang === 'en' ? 'Quantity' : '数量'}</label>
              <input id="qty" name="quantity" type="number" min={1} max={99} value="1" inputMode="numeric" required />
            </div>
            <button class="btn block" type="submit" disabled={!firstInStock}>
              {firstInStock ? v.t('cart.add') : v.t('stock.out')}
            </button>
          </form>
        </div>
      </div>
      <section class="description" dangerouslySetInnerHTML={{ __html: props.descriptionHtml }} />
    </Layout>
  );
}
