import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { badRequest } from '../app/errors.js';
import { CatalogAdminService, MAX_IMAGES_PER_PRODUCT, type Outcome, type StockChange } from '../catalog/admin-service.js';
import { IMAGE_LIMITS, ImageRejected, reencodeImage, removeImageFile, storeImage, type ReencodedImage } from '../catalog/images.js';
import { renderMarkdown } from '../catalog/markdown.js';
import { nfkc } from '../shared/jp.js';
import { field, optionalText, parseForm, parseQuery, text, type FieldErrors } from '../shared/validation.js';
import { redirect } from '../web/context.js';
import {
  CategoriesPage, emptyForm, NewProductPage, ProductEditPage, ProductListPage,
  type EditForms, type FormState, type Preview, type Values,
} from './catalog-views.js';
import type { AdminRouteModule } from './plugin.js';
import type { StaffIdentity } from './sessions.js';


const ROLES: ('owner' | 'staff')[] = ['owner', 'staff'];
const PER_PAGE = 50;
/** One picture plus the form around it. */
export const UPLOAD_BODY_LIMIT = IMAGE_LIMITS.maxBytes + 256 * 1024;

const PRODUCT_ID = /^prd_[0-9A-Z]{16}$/;
const VARIANT_ID = /^var_[0-9A-Z]{16}$/;
const IMAGE_ID = /^img_[0-9A-Z]{16}$/;
const CATEGORY_ID = /^cat_[0-9A-Z]{16}$/;

const NOTICES = {
  created: '商品を作成しました。続けてSKU（種類・価格・在庫）と画像を追加してください。',
  saved: '商品を保存しました。',
  variant_added: 'SKUを追加しました。',
  variant_saved: 'SKUを保存しました。',
  stock: '在庫を更新しました。',
  image_added: '画像を追加しました。',
  image_deleted: '画像を削除しました。',
  image_first: '画像の順番を変更しました。',
  category_added: 'カテゴリーを追加しました。',
  category_saved: 'カテゴリーを保存しました。',
  category_deleted: 'カテゴリーを削除しました。',
} as const;
type NoticeKey = keyof typeof NOTICES;

function noticeOf(query: unknown): string | null {
  const done = (query as Record<string, unknown> | undefined)?.done;
  return typeof done === 'string' && Object.hasOwn(NOTICES, done) ? NOTICES[done as NoticeKey] : null;
}

// ---- input schemas -------------------------------------------------------------------------------

const slug = () =>
  text({ max: 80 })
    .transform((v) => nfkc(v).toLowerCase())
    .refine((v) => /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(v), 'スラッグは半角英小文字・数字・ハイフンで入力してください（例: sencha-100g）。');
const checkbox = () =>
  z.literal('1', { error: '入力内容が正しくありません。' }).optional().transform((v) => v === '1');
const sortOrder = () =>
  z
    .string({ error: '数値を入力してください。' })
    .optional()
    .transform((v) => ((v ?? '').trim() === '' ? '0' : (v ?? '')))
    .pipe(field.int(-99999, 99999));

const productSchema = z
  .object({
    category_id: z.string({ error: 'カテゴリーを選択してください。' }).regex(CATEGORY_ID, 'カテゴリーを選択してください。'),
    slug: slug(),
    name_ja: text({ max: 100 }),
    name_en: optionalText({ max: 100 }),
    tax_rate: z.enum(['8', '10'], { error: '税率を選択してください。' }).transform((v) => (v === '8' ? 8 : 10) as 8 | 10),
    published: checkbox(),
    sort_order: sortOrder(),
    description_md: text({ max: 20000, min: 0, multiline: true }),
    description_md_en: optionalText({ max: 20000, multiline: true }),
  })
  .strict();

const variantFields = {
  sku: text({ max: 40 })
    .transform((v) => nfkc(v).toUpperCase())
    .refine((v) => /^[A-Z0-9][A-Z0-9._-]{0,39}$/.test(v), 'SKUは半角英数字と「-」「_」「.」で入力してください。'),
  name_ja: text({ max: 60 }),
  name_en: optionalText({ max: 60 }),
  price_yen: z
    .string({ error: '価格を入力してください。' })
    .transform((v) => nfkc(v).trim().replace(/[,円¥]/g, ''))
    .refine((v) => /^\d{1,9}$/.test(v), '価格は0円以上の整数（円）で入力してください。')
    .transform((v) => Number.parseInt(v, 10))
    .refine((v) => v <= 10_000_000, '価格は1,000万円以下で入力してください。'),
  sort_order: sortOrder(),
  active: checkbox(),
};
const variantSchema = z.object(variantFields).strict();
const newVariantSchema = z
  .object({
    ...variantFields,
    stock: z
      .string({ error: '在庫数を入力してください。' })
      .transform((v) => nfkc(v).trim())
      .refine((v) => /^\d{1,7}$/.test(v), '在庫数は0以上の整数で入力してください。')
      .transform((v) => Number.parseInt(v, 10)),
  })
  .strict();

const stockSchema = z
  .object({
    mode: z.enum(['delta', 'set'], { error: '調整方法を選択してください。' }),
    amount: text({ max: 12 }),
    expected: field.int(0, 1_000_000_000),
    reason: optionalText({ max: 100 }),
  })
  .strict();

const categorySchema = z
  .object({ slug: slug(), name_ja: text({ max: 60 }), name_en: optionalText({ max: 60 }), sort_order: sortOrder() })
  .strict();

const listQuery = z
  .object({
    q: z.string().max(100, 'キーワードは100文字以内にしてください。').optional(),
    category: z.union([z.literal(''), z.string().regex(CATEGORY_ID)], { error: 'カテゴリーの指定が正しくありません。' }).optional(),
    published: z.enum(['all', 'published', 'draft'], { error: '公開状態の指定が正しくありません。' }).optional(),
    page: z.string().regex(/^\d{1,4}$/, 'ページ番号が正しくありません。').optional(),
    done: z.string().max(40).optional(),
  })
  .strict();

// ---- multipart (image upload) --------------------------------------------------------------------

/** A file part of an upload: only its bytes are kept — never the name or declared type. */
export class UploadedFile {
  constructor(readonly data: Buffer) {}
}

type MultipartBody = Record<string, string | UploadedFile | (string | UploadedFile)[]>;

/**
 * Parses multipart/form-data from the buffered body with the platform's own parser. (The body has
 * already been read once by the PAN tripwire, which hands the parsers a replayed stream; a parser
 * reading the raw request itself, as @fastify/multipart does, would find it empty.)
 */
export async function parseMultipart(raw: Buffer, contentType: string): Promise<MultipartBody> {
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw badRequest('送信内容を読み取れませんでした。もう一度ファイルを選んで送信してください。');
  }
  const out: MultipartBody = {};
  const entries: [string, FormDataEntryValue][] = [];
  form.forEach((value, name) => entries.push([name, value]));
  if (entries.length > 20) throw badRequest('送信内容の項目が多すぎます。');
  for (const [name, value] of entries) {
    const v = typeof value === 'string' ? value : new UploadedFile(Buffer.from(await value.arrayBuffer()));
    const prev = out[name];
    out[name] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

// ---- routes --------------------------------------------------------------------------------------

const actorOf = (s: StaffIdentity) => `staff:${s.email}`;

function idFrom(req: FastifyRequest, key: string, re: RegExp): string | null {
  const v = (req.params as Record<string, unknown>)[key];
  return typeof v === 'string' && re.test(v) ? v : null;
}

function stringsOf(body: unknown): Values {
  const out: Values = {};
  if (typeof body !== 'object' || body === null) return out;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (k !== '_csrf' && typeof v === 'string') out[k] = v;
  }
  return out;
}

function fieldErrors<T>(r: Outcome<T>): FieldErrors {
  return r.ok ? {} : { [r.field]: r.message };
}

export const catalogAdminRoutes: AdminRouteModule = (app, pages) => {
  const services = pages.services;
  // Product data cached for the storefront is dropped after every change made here; rendered
  // catalog pages (web/page.tsx) expire on their own within their TTL (2 s).
  const admin = new CatalogAdminService(services.handle.db, services.audit, () => services.catalog.invalidate());
  const base = pages.base;

  const notFound = (req: FastifyRequest, reply: FastifyReply, what: string) =>
    pages.render(req, reply, `${what}が見つかりません`, (c) => <p>{what}が見つかりません。<a href={`${c.base}/products`}>商品一覧へ</a></p>, 404);

  const productValues = (p: { category_id: string; slug: string; name_ja: string; name_en: string; tax_rate: number; published: number; sort_order: number; description_md: string; description_md_en: string | null }): Values => ({
    category_id: p.category_id, slug: p.slug, name_ja: p.name_ja, name_en: p.name_en, tax_rate: String(p.tax_rate),
    published: p.published ? '1' : undefined, sort_order: String(p.sort_order), description_md: p.description_md, description_md_en: p.description_md_en ?? '',
  });

  const renderEdit = async (
    req: FastifyRequest, reply: FastifyReply, productId: string,
    opts: { forms?: Partial<EditForms>; preview?: Preview | null; notice?: string | null; status?: number } = {},
  ) => {
    const [detail, categories] = await Promise.all([admin.getProduct(productId), services.catalog.listCategories()]);
    if (!detail) return notFound(req, reply, '商品');
    const forms: EditForms = {
      product: opts.forms?.product ?? emptyForm(productValues(detail.product)),
      variants: opts.forms?.variants ?? {},
      stock: opts.forms?.stock ?? {},
      image: opts.forms?.image ?? emptyForm(),
    };
    return pages.render(
      req, reply, `商品の編集: ${detail.product.name_ja}`,
      (c) => <ProductEditPage c={c} detail={detail} categories={categories} forms={forms} preview={opts.preview ?? null} notice={opts.notice ?? null} />,
      opts.status ?? 200,
    );
  };

  const previewOf = (values: Values): Preview => ({
    ja: renderMarkdown((values.description_md ?? '').slice(0, 20000)),
    en: values.description_md_en?.trim() ? renderMarkdown(values.description_md_en.slice(0, 20000)) : null,
  });

  // -- list, create --------------------------------------------------------------------------------

  app.get('/products', async (req, reply) => {
    if (!(await pages.require(req, reply, ROLES))) return reply;
    const q = parseQuery(listQuery, req.query);
    const page = Math.max(1, Number(q.page ?? '1'));
    const filter = { q: (q.q ?? '').trim(), category: q.category ?? '', published: q.published ?? 'all' };
    const [categories, list] = await Promise.all([
      services.catalog.listCategories(),
      admin.listProducts({ q: filter.q, categoryId: filter.category || null, published: filter.published, page, perPage: PER_PAGE }),
    ]);
    const pagesCount = Math.max(1, Math.ceil(list.total / PER_PAGE));
    return pages.render(req, reply, '商品', (c) => (
      <ProductListPage c={c} items={list.items} total={list.total} page={page} pages={pagesCount} filter={filter} categories={categories} />
    ));
  });

  const renderNew = async (req: FastifyRequest, reply: FastifyReply, form: FormState, preview: Preview | null, status = 200) => {
    const categories = await services.catalog.listCategories();
    return pages.render(req, reply, '商品を追加', (c) => <NewProductPage c={c} categories={categories} form={form} preview={preview} />, status);
  };

  app.get('/products/new', async (req, reply) => {
    if (!(await pages.require(req, reply, ROLES))) return reply;
    return renderNew(req, reply, emptyForm({ tax_rate: '8', sort_order: '0' }), null);
  });

  app.post('/products/new/preview', async (req, reply) => {
    if (!(await pages.require(req, reply, ROLES))) return reply;
    const values = stringsOf(req.body);
    return renderNew(req, reply, emptyForm(values), previewOf(values));
  });

  app.post('/products/new', async (req, reply) => {
    const staff = await pages.require(req, reply, ROLES);
    if (!staff) return reply;
    const values = stringsOf(req.body);
    const parsed = parseForm(productSchema, req.body);
    if (!parsed.ok) return renderNew(req, reply, { values, errors: parsed.errors }, null, 422);
    const d = parsed.data;
    const res = await admin.createProduct(actorOf(staff), { ...d, name_en: d.name_en ?? d.name_ja });
    if (!res.ok) return renderNew(req, reply, { values, errors: fieldErrors(res) }, null, 422);
    return redirect(reply, `${base}/products/${res.value}?done=created#variants`);
  });

  // -- edit ----------------------------------------------------------------------------------------

  app.get('/products/:id', async (req, reply) => {
    if (!(await pages.require(req, reply, ROLES))) return reply;
    const id = idFrom(req, 'id', PRODUCT_ID);
    if (!id) return notFound(req, reply, '商品');
    return renderEdit(req, reply, id, { notice: noticeOf(req.query) });
  });

  app.post('/products/:id/preview', async (req, reply) => {
    if (!(await pages.require(req, reply, ROLES))) return reply;
    const id = idFrom(req, 'id', PRODUCT_ID);
    if (!id) return notFound(req, reply, '商品');
    const values = stringsOf(req.body);
    return renderEdit(req, reply, id, { forms: { product: emptyForm(values) }, preview: previewOf(values) });
  });

  app.post('/products/:id', async (req, reply) => {
    const staff = await pages.require(req, reply, ROLES);
    if (!staff) return reply;
    const id = idFrom(req, 'id', PRODUCT_ID);
    if (!id) return notFound(req, reply, '商品');
    const values = stringsOf(req.body);
    const parsed = parseForm(productSchema, req.body);
    if (!parsed.ok) return renderEdit(req, reply, id, { forms: { product: { values, errors: parsed.errors } }, status: 422 });
    const d = parsed.data;
    const res = await admin.updateProduct(actorOf(staff), id, { ...d, name_en: d.name_en ?? d.name_ja });
    if (!res.ok) return renderEdit(req, reply, id, { forms: { product: { values, errors: fieldErrors(res) } }, status: res.field === '_form' ? 404 : 422 });
    return redirect(reply, `${base}/products/${id}?done=saved`);
  });

  // -- variants and stock --------------------------------------------------------------------------

  app.post('/products/:id/variants', async (req, reply) => {
    const staff = await pages.require(req, reply, ROLES);
    if (!staff) return reply;
    const id = idFrom(req, 'id', PRODUCT_ID);
    if (!id) return notFound(req, reply, '商品');
    const values = stringsOf(req.body);
    const parsed = parseForm(newVariantSchema, req.body);
    const fail = (errors: FieldErrors) => renderEdit(req, reply, id, { forms: { variants: { new: { values, errors } } }, status: 422 });
    if (!parsed.ok) return fail(parsed.errors);
    const d = parsed.data;
    const res = await admin.addVariant(actorOf(staff), id, { ...d, name_en: d.name_en ?? d.name_ja });
    if (!res.ok) return fail(fieldErrors(res));
    return redirect(reply, `${base}/products/${id}?done=variant_added#variants`);
  });

  app.post('/products/:id/variants/:variantId', async (req, reply) => {
    const staff = await pages.require(req, reply, ROLES);
    if (!staff) return reply;
    const id = idFrom(req, 'id', PRODUCT_ID);
    const variantId = idFrom(req, 'variantId', VARIANT_ID);
    if (!id || !variantId) return notFound(req, reply, 'SKU');
    const values = stringsOf(req.body);
    const parsed = parseForm(variantSchema, req.body);
    const fail = (errors: FieldErrors) => renderEdit(req, reply, id, { forms: { variants: { [variantId]: { values, errors } } }, status: 422 });
    if (!parsed.ok) return fail(parsed.errors);
    const d = parsed.data;
    const res = await admin.updateVariant(actorOf(staff), id, variantId, { ...d, name_en: d.name_en ?? d.name_ja });
    if (!res.ok) return fail(fieldErrors(res));
    return redirect(reply, `${base}/products/${id}?done=variant_saved#variants`);
  });

  app.post('/products/:id/variants/:variantId/stock', async (req, reply) => {
    const staff = await pages.require(req, reply, ROLES);
    if (!staff) return reply;
    const id = idFrom(req, 'id', PRODUCT_ID);
    const variantId = idFrom(req, 'variantId', VARIANT_ID);
    if (!id || !variantId) return notFound(req, reply, 'SKU');
    const values = stringsOf(req.body);
    const fail = (errors: FieldErrors) => renderEdit(req, reply, id, { forms: { stock: { [variantId]: { values, errors } } }, status: 422 });
    const parsed = parseForm(stockSchema, req.body);
    if (!parsed.ok) return fail(parsed.errors);
    const d = parsed.data;
    const amount = nfkc(d.amount).replace(/[−ー‐]/g, '-').replace(/\s/g, '');
    let change: StockChange;
    if (d.mode === 'delta') {
      if (!/^[+-]?\d{1,7}$/.test(amount)) return fail({ amount: '増減数は整数で入力してください（例: 10、-3）。' });
      change = { mode: 'delta', delta: Number.parseInt(amount, 10) };
    } else {
      if (!/^\d{1,7}$/.test(amount)) return fail({ amount: '在庫数は0以上の整数で入力してください。' });
      change = { mode: 'set', value: Number.parseInt(amount, 10), expected: d.expected };
    }
    const res = await admin.adjustStock(actorOf(staff), id, variantId, change, d.reason);
    if (!res.ok) return fail(fieldErrors(res));
    return redirect(reply, `${base}/products/${id}?done=stock#variants`);
  });

  // -- images --------------------------------------------------------------------------------------

  void app.register(async (scoped) => {
    // multipart/form-data is accepted here and nowhere else in the console.
    scoped.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: UPLOAD_BODY_LIMIT }, async (req: FastifyRequest, body: Buffer | string) =>
      parseMultipart(Buffer.isBuffer(body) ? body : Buffer.from(body), String(req.headers['content-type'] ?? '')),
    );
    // A body over the limit is cut off before any handler runs; say so in the console's words.
    scoped.setErrorHandler(async (err: FastifyError, req, reply) => {
      if (err.statusCode !== 413) throw err;
      const id = idFrom(req, 'id', PRODUCT_ID);
      // The rest of the body was never read: close the connection rather than keep it half-used.
      reply.header('connection', 'close');
      // Over our own limit, or cut off earlier by a smaller server-wide cap (the PAN tripwire's).
      const declared = Number(req.headers['content-length']);
      const message = Number.isFinite(declared) && declared <= UPLOAD_BODY_LIMIT
        ? '送信内容が大きすぎるため受け付けられませんでした。もっと小さい画像でお試しください。'
        : new ImageRejected('too_large').message;
      return pages.render(req, reply, 'アップロードできませんでした', (c) => (
        <>
          <div class="alert alert-error" role="alert">{message}</div>
          {id ? <p><a href={`${c.base}/products/${id}#images`}>商品の編集に戻る</a></p> : null}
        </>
      ), 413);
    });

    scoped.post('/products/:id/images', { config: { tripwireMaxBodyBytes: UPLOAD_BODY_LIMIT } }, async (req, reply) => {
      const staff = await pages.require(req, reply, ROLES);
      if (!staff) return reply;
      const id = idFrom(req, 'id', PRODUCT_ID);
      if (!id) return notFound(req, reply, '商品');
      const detail = await admin.getProduct(id);
      if (!detail) return notFound(req, reply, '商品');
      const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
      const { image, ...fields } = body;
      const values = stringsOf(fields);
      const fail = (errors: FieldErrors) => renderEdit(req, reply, id, { forms: { image: { values, errors } }, status: 422 });
      const parsed = parseForm(z.object({ alt_ja: optionalText({ max: 100 }) }).strict(), fields);
      if (!parsed.ok) return fail(parsed.errors);
      if (!(image instanceof UploadedFile)) return fail({ image: '画像ファイルを選択してください（1回に1枚）。' });
      if ((await admin.imageCount(id)) >= MAX_IMAGES_PER_PRODUCT) return fail({ image: `画像は1商品につき${MAX_IMAGES_PER_PRODUCT}枚までです。` });
      let processed: ReencodedImage;
      try {
        processed = await reencodeImage(image.data);
      } catch (err) {
        if (err instanceof ImageRejected) {
          req.log.info({ problem: err.problem, bytes: image.data.length }, 'image upload refused');
          return fail({ image: err.message });
        }
        throw err;
      }
      const file = await storeImage(services.mediaDir, processed);
      try {
        const res = await admin.addImage(actorOf(staff), id, file, parsed.data.alt_ja ?? detail.product.name_ja, {
          source_format: processed.sourceFormat, bytes: image.data.length, width: processed.width, height: processed.height,
        });
        if (!res.ok) {
          await removeImageFile(services.mediaDir, file);
          return fail(fieldErrors(res));
        }
      } catch (err) {
        await removeImageFile(services.mediaDir, file);
        throw err;
      }
      return redirect(reply, `${base}/products/${id}?done=image_added#images`);
    });
  });

  app.post('/products/:id/images/:imageId/delete', async (req, reply) => {
    const staff = await pages.require(req, reply, ROLES);
    if (!staff) return reply;
    const id = idFrom(req, 'id', PRODUCT_ID);
    const imageId = idFrom(req, 'imageId', IMAGE_ID);
    if (!id || !imageId) return notFound(req, reply, '画像');
    const product = await admin.getProduct(id);
    if (!product || !product.images.some((i) => i.id === imageId)) return notFound(req, reply, '画像');
    const file = await admin.deleteImage(actorOf(staff), id, imageId);
    if (file) await removeImageFile(services.mediaDir, file);
    return redirect(reply, `${base}/products/${id}?done=image_deleted#images`);
  });

  app.post('/products/:id/images/:imageId/first', async (req, reply) => {
    const staff = await pages.require(req, reply, ROLES);
    if (!staff) return reply;
    const id = idFrom(req, 'id', PRODUCT_ID);
    const imageId = idFrom(req, 'imageId', IMAGE_ID);
    if (!id || !imageId) return notFound(req, reply, '画像');
    if (!(await admin.moveImageFirst(actorOf(staff), id, imageId))) return notFound(req, reply, '画像');
    return redirect(reply, `${base}/products/${id}?done=image_first#images`);
  });

  // -- categories ----------------------------------------------------------------------------------

  const renderCategories = async (req: FastifyRequest, reply: FastifyReply, forms: Record<string, FormState>, notice: string | null, status = 200) => {
    const categories = await admin.listCategories();
    return pages.render(req, reply, 'カテゴリー', (c) => <CategoriesPage c={c} categories={categories} forms={forms} notice={notice} />, status);
  };

  app.get('/categories', async (req, reply) => {
    if (!(await pages.require(req, reply, ROLES))) return reply;
    return renderCategories(req, reply, {}, noticeOf(req.query));
  });

  app.post('/categories', async (req, reply) => {
    const staff = await pages.require(req, reply, ROLES);
    if (!staff) return reply;
    const values = stringsOf(req.body);
    const parsed = parseForm(categorySchema, req.body);
    if (!parsed.ok) return renderCategories(req, reply, { new: { values, errors: parsed.errors } }, null, 422);
    const d = parsed.data;
    const res = await admin.createCategory(actorOf(staff), { ...d, name_en: d.name_en ?? d.name_ja });
    if (!res.ok) return renderCategories(req, reply, { new: { values, errors: fieldErrors(res) } }, null, 422);
    return redirect(reply, `${base}/categories?done=category_added`);
  });

  app.post('/categories/:id', async (req, reply) => {
    const staff = await pages.require(req, reply, ROLES);
    if (!staff) return reply;
    const id = idFrom(req, 'id', CATEGORY_ID);
    if (!id) return notFound(req, reply, 'カテゴリー');
    const values = stringsOf(req.body);
    const parsed = parseForm(categorySchema, req.body);
    if (!parsed.ok) return renderCategories(req, reply, { [id]: { values, errors: parsed.errors } }, null, 422);
    const d = parsed.data;
    const res = await admin.updateCategory(actorOf(staff), id, { ...d, name_en: d.name_en ?? d.name_ja });
    if (!res.ok) return renderCategories(req, reply, { [id]: { values, errors: fieldErrors(res) } }, null, 422);
    return redirect(reply, `${base}/categories?done=category_saved`);
  });

  app.post('/categories/:id/delete', async (req, reply) => {
    const staff = await pages.require(req, reply, ROLES);
    if (!staff) return reply;
    const id = idFrom(req, 'id', CATEGORY_ID);
    if (!id) return notFound(req, reply, 'カテゴリー');
    const res = await admin.deleteCategory(actorOf(staff), id);
    if (!res.ok) return renderCategories(req, reply, { [id]: { values: {}, errors: fieldErrors(res) } }, null, 409);
    return redirect(reply, `${base}/categories?done=category_deleted`);
  });
};

