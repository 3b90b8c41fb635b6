import type { ComponentChildren } from 'preact';
import type { AdminProductDetail, AdminProductRow } from '../catalog/admin-service.js';
import type { CategoryTable, VariantTable } from '../catalog/tables.js';
import { formatInstantJa } from '../shared/time.js';
import { formatYen } from '../web/i18n.js';
import type { AdminCtx } from './layout.js';
import { Csrf, Notice as BaseNotice } from './components.js';

// ---- form kit shared by the catalog, customer and settings pages -----------------------------

export type Values = Record<string, string | undefined>;
export type Errors = Record<string, string>;
export interface FormState {
  values: Values;
  errors: Errors;
}
export const emptyForm = (values: Values = {}): FormState => ({ values, errors: {} });

export { Csrf };

/** A notice from a text that may be absent (nothing is shown then). */
export function Notice(props: { text: string | null | undefined; kind?: 'success' | 'info' | 'error' }) {
  if (!props.text) return null;
  return <BaseNotice kind={props.kind ?? 'success'}>{props.text}</BaseNotice>;
}

/** The form-level message; each field's own message is shown next to the field. */
export function FormErrors(props: { errors: Errors }) {
  if (Object.keys(props.errors).length === 0) return null;
  return (
    <div class="alert alert-error" role="alert">
      <p>入力内容を確認してください。</p>
      {props.errors._form ? <p>{props.errors._form}</p> : null}
    </div>
  );
}

interface FieldBase {
  /** Distinguishes several forms with the same field names on one page. */
  form?: string;
  name: string;
  label: string;
  state: FormState;
  hint?: string;
  required?: boolean;
}

function ids(p: FieldBase) {
  const id = `f-${p.form ? `${p.form}-` : ''}${p.name}`;
  const error = p.state.errors[p.name];
  const describedBy = [error ? `${id}-err` : '', p.hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined;
  return { id, error, describedBy };
}

function FieldShell(props: FieldBase & { children: ComponentChildren }) {
  const { id, error } = ids(props);
  return (
    <div class="field">
      <label for={id}>
        {props.label}
        {props.required ? <span class="tag">必須</span> : null}
      </label>
      {props.children}
      {props.hint ? <p class="hint" id={`${id}-hint`}>{props.hint}</p> : null}
      {error ? <p class="field-error" id={`${id}-err`}>{error}</p> : null}
    </div>
  );
}

export function Input(props: FieldBase & { type?: string; maxLength?: number; inputMode?: 'text' | 'numeric' | 'tel' | 'email'; autoComplete?: string }) {
  const { id, error, describedBy } = ids(props);
  return (
    <FieldShell {...props}>
      <input
        id={id} name={props.name} type={props.type ?? 'text'} value={props.state.values[props.name] ?? ''} maxLength={props.maxLength ?? 200}
        inputMode={props.inputMode} autoComplete={props.autoComplete ?? 'off'} required={props.required}
        aria-invalid={error ? 'true' : undefined} aria-describedby={describedBy}
      />
    </FieldShell>
  );
}

export function TextArea(props: FieldBase & { rows?: number; maxLength?: number }) {
  const { id, error, describedBy } = ids(props);
  return (
    <FieldShell {...props}>
      <textarea
        id={id} name={props.name} rows={props.rows ?? 6} maxLength={props.maxLength} required={props.required}
        aria-invalid={error ? 'true' : undefined} aria-describedby={describedBy}
      >
        {props.state.values[props.name] ?? ''}
      </textarea>
    </FieldShell>
  );
}

export function SelectField(props: FieldBase & { options: readonly { value: string; label: string }[]; blank?: string }) {
  const { id, error, describedBy } = ids(props);
  const current = props.state.values[props.name] ?? '';
  return (
    <FieldShell {...props}>
      <select id={id} name={props.name} required={props.required} aria-invalid={error ? 'true' : undefined} aria-describedby={describedBy}>
        {props.blank !== undefined ? <option value="">{props.blank}</option> : null}
        {props.options.map((o) => <option value={o.value} selected={o.value === current}>{o.label}</option>)}
      </select>
    </FieldShell>
  );
}

export function Checkbox(props: { form?: string; name: string; label: string; state: FormState; value?: string; hint?: string }) {
  const id = `f-${props.form ? `${props.form}-` : ''}${props.name}`;
  const value = props.value ?? '1';
  const error = props.state.errors[props.name];
  // Not inside `.field`: the console's stylesheet stretches `.field input` to the full width.
  return (
    <div class="check">
      <p>
        <input id={id} type="checkbox" name={props.name} value={value} checked={props.state.values[props.name] === value} />{' '}
        <label for={id}>{props.label}</label>
      </p>
      {props.hint ? <p class="hint">{props.hint}</p> : null}
      {error ? <p class="field-error">{error}</p> : null}
    </div>
  );
}

export function Pager(props: { page: number; pages: number; href: (page: number) => string }) {
  if (props.pages <= 1) return null;
  return (
    <nav class="filters" aria-label="ページ送り">
      {props.page > 1 ? <a href={props.href(props.page - 1)} rel="prev">‹ 前へ</a> : null}
      <span>{props.page} / {props.pages}</span>
      {props.page < props.pages ? <a href={props.href(props.page + 1)} rel="next">次へ ›</a> : null}
    </nav>
  );
}

// ---- catalog pages ------------------------------------------------------------------------------

const PUBLISHED_FILTER = [
  { value: 'all', label: 'すべて' },
  { value: 'published', label: '公開中' },
  { value: 'draft', label: '非公開' },
];

export function ProductListPage(props: {
  c: AdminCtx;
  items: AdminProductRow[];
  total: number;
  page: number;
  pages: number;
  filter: { q: string; category: string; published: string };
  categories: CategoryTable[];
}) {
  const { c, filter } = props;
  const href = (page: number) => `${c.base}/products?${new URLSearchParams({ ...filter, page: String(page) }).toString()}`;
  const state = emptyForm(filter);
  return (
    <>
      <p>
        <a class="btn" href={`${c.base}/products/new`}>商品を追加</a>{' '}
        <a class="btn secondary" href={`${c.base}/categories`}>カテゴリー</a>
      </p>
      <form method="get" action={`${c.base}/products`} class="filters" role="search">
        <Input name="q" label="キーワード（商品名・SKU・説明）" state={state} maxLength={100} />
        <SelectField name="category" label="カテゴリー" state={state} blank="すべて" options={props.categories.map((x) => ({ value: x.id, label: x.name_ja }))} />
        <SelectField name="published" label="公開状態" state={state} options={PUBLISHED_FILTER} />
        <div class="field"><button type="submit" class="btn secondary">絞り込む</button></div>
      </form>
      <p>{props.total}件</p>
      <table>
        <thead>
          <tr><th>画像</th><th>商品名</th><th>カテゴリー</th><th>状態</th><th class="num">SKU数</th><th class="num">最低価格</th><th class="num">在庫計</th><th>更新</th></tr>
        </thead>
        <tbody>
          {props.items.map((p) => (
            <tr>
              <td>{p.image ? <img src={`/media/${p.image}`} alt="" width={48} loading="lazy" /> : null}</td>
              <td>
                <a href={`${c.base}/products/${p.id}`}>{p.name_ja}</a>
                <br />
                <small class="hint">{p.slug}</small>
              </td>
              <td>{p.category_name}</td>
              <td><span class="tag">{p.published ? '公開中' : '非公開'}</span></td>
              <td class="num">{p.variants}</td>
              <td class="num">{p.min_price === null ? '—' : formatYen(p.min_price)}</td>
              <td class="num">{p.stock}</td>
              <td>{formatInstantJa(p.updated_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.items.length === 0 ? <p>該当する商品はありません。</p> : null}
      <Pager page={props.page} pages={props.pages} href={href} />
    </>
  );
}

export interface Preview {
  ja: string;
  en: string | null;
}

/** The description preview: the only raw HTML in the console, and it is the sanitiser's output. */
function PreviewPanel(props: { preview: Preview | null }) {
  if (!props.preview) return null;
  return (
    <section class="panel" aria-labelledby="preview-h">
      <h2 id="preview-h">説明文のプレビュー（保存されていません）</h2>
      <h3>日本語</h3>
      <div class="md-preview" dangerouslySetInnerHTML={{ __html: props.preview.ja }} />
      {props.preview.en !== null ? (
        <>
          <h3>English</h3>
          <div class="md-preview" dangerouslySetInnerHTML={{ __html: props.preview.en }} />
        </>
      ) : null}
    </section>
  );
}

export function ProductFields(props: { c: AdminCtx; action: string; previewAction: string; categories: CategoryTable[]; form: FormState; submit: string }) {
  const { form } = props;
  return (
    <form method="post" action={props.action} class="panel" novalidate>
      <Csrf c={props.c} />
      <FormErrors errors={form.errors} />
      <SelectField name="category_id" label="カテゴリー" state={form} required blank="選択してください" options={props.categories.map((x) => ({ value: x.id, label: x.name_ja }))} />
      <Input name="slug" label="スラッグ（URL）" state={form} required maxLength={80} hint="半角英小文字・数字・ハイフン。商品ページのURL（/products/スラッグ）になります。" />
      <Input name="name_ja" label="商品名" state={form} required maxLength={100} />
      <Input name="name_en" label="商品名（英語）" state={form} maxLength={100} hint="空欄の場合は日本語の商品名を使います。" />
      <SelectField name="tax_rate" label="消費税率" state={form} required options={[{ value: '8', label: '8%（軽減税率・飲食料品）' }, { value: '10', label: '10%（標準税率）' }]} />
      <Input name="sort_order" label="表示順" state={form} inputMode="numeric" maxLength={6} hint="小さいほど先に表示されます。" />
      <Checkbox name="published" label="ストアに公開する" state={form} hint="有効なSKUが1つ以上ある商品だけがストアに表示されます。" />
      <TextArea name="description_md" label="説明文（Markdown）" state={form} rows={12} maxLength={20000} hint="見出し（##）、箇条書き、太字、リンク、表が使えます。HTMLタグは表示されません。" />
      <TextArea name="description_md_en" label="説明文（英語・Markdown）" state={form} rows={8} maxLength={20000} hint="空欄の場合、英語ページでも日本語の説明文を表示します。" />
      <p>
        <button type="submit" class="btn">{props.submit}</button>{' '}
        <button type="submit" class="btn secondary" formaction={props.previewAction}>説明文をプレビュー</button>
      </p>
    </form>
  );
}

export function NewProductPage(props: { c: AdminCtx; categories: CategoryTable[]; form: FormState; preview: Preview | null }) {
  const { c } = props;
  return (
    <>
      <p><a href={`${c.base}/products`}>‹ 商品一覧</a></p>
      {props.categories.length === 0 ? <Notice kind="info" text="先にカテゴリーを作成してください。" /> : null}
      <PreviewPanel preview={props.preview} />
      <ProductFields c={c} action={`${c.base}/products/new`} previewAction={`${c.base}/products/new/preview`} categories={props.categories} form={props.form} submit="商品を作成" />
    </>
  );
}

export interface EditForms {
  product: FormState;
  /** Keyed by variant id, or `new` for the add form. */
  variants: Record<string, FormState>;
  stock: Record<string, FormState>;
  image: FormState;
}

export function ProductEditPage(props: { c: AdminCtx; detail: AdminProductDetail; categories: CategoryTable[]; forms: EditForms; preview: Preview | null; notice: string | null }) {
  const { c, detail, forms } = props;
  const p = detail.product;
  const base = `${c.base}/products/${p.id}`;
  return (
    <>
      <p>
        <a href={`${c.base}/products`}>‹ 商品一覧</a>
        {p.published ? <> ・ <a href={`/products/${p.slug}`}>ストアで見る</a></> : <> ・ <span class="tag">非公開</span></>}
      </p>
      <Notice text={props.notice} />
      <PreviewPanel preview={props.preview} />
      <h2>基本情報</h2>
      <ProductFields c={c} action={base} previewAction={`${base}/preview`} categories={props.categories} form={forms.product} submit="保存" />

      <h2 id="variants">種類（SKU）・価格・在庫</h2>
      {detail.variants.length === 0 ? <p class="hint">SKUがまだありません。ストアに表示するには有効なSKUを追加してください。</p> : null}
      {detail.variants.map((v) => (
        <VariantPanel c={c} base={base} variant={v} form={forms.variants[v.id] ?? emptyForm(variantValues(v))} stock={forms.stock[v.id] ?? emptyForm({ mode: 'delta', expected: String(v.stock) })} />
      ))}
      <section class="panel" aria-labelledby="new-variant-h">
        <h3 id="new-variant-h">SKUを追加</h3>
        <form method="post" action={`${base}/variants`} novalidate>
          <Csrf c={c} />
          <FormErrors errors={forms.variants.new?.errors ?? {}} />
          <VariantFields form="new" state={forms.variants.new ?? emptyForm({ active: '1', sort_order: '0', stock: '0' })} withStock />
          <button type="submit" class="btn">SKUを追加</button>
        </form>
      </section>

      <h2 id="images">画像</h2>
      <div class="grid">
        {detail.images.map((img, i) => (
          <div class="panel">
            <img src={`/media/${img.file}`} alt={img.alt_ja} width={200} />
            <p>{img.alt_ja}{i === 0 ? <> <span class="tag">一覧に表示</span></> : null}</p>
            {i > 0 ? (
              <form method="post" action={`${base}/images/${img.id}/first`}>
                <Csrf c={c} />
                <button type="submit" class="btn small secondary">先頭にする</button>
              </form>
            ) : null}
            <form method="post" action={`${base}/images/${img.id}/delete`}>
              <Csrf c={c} />
              <button type="submit" class="btn small danger" data-confirm="この画像を削除しますか？">削除</button>
            </form>
          </div>
        ))}
      </div>
      <section class="panel" aria-labelledby="upload-h">
        <h3 id="upload-h">画像を追加</h3>
        <form method="post" action={`${base}/images`} enctype="multipart/form-data" novalidate>
          <Csrf c={c} />
          <FormErrors errors={forms.image.errors} />
          <div class="field">
            <label for="f-image">画像ファイル <span class="tag">必須</span></label>
            <input id="f-image" type="file" name="image" accept="image/jpeg,image/png,image/webp" required aria-describedby="f-image-hint" aria-invalid={forms.image.errors.image ? 'true' : undefined} />
            <p class="hint" id="f-image-hint">JPEG・PNG・WebP、5MBまで。保存時に長辺1600pxまで縮小し、撮影情報（位置情報など）を取り除いてWebP形式に変換します。</p>
            {forms.image.errors.image ? <p class="field-error">{forms.image.errors.image}</p> : null}
          </div>
          <Input form="img" name="alt_ja" label="代替テキスト" state={forms.image} maxLength={100} hint="画像の内容の説明。空欄の場合は商品名を使います。" />
          <button type="submit" class="btn">アップロード</button>
        </form>
      </section>
    </>
  );
}

export function variantValues(v: VariantTable): Values {
  return { sku: v.sku, name_ja: v.name_ja, name_en: v.name_en, price_yen: String(v.price_yen), sort_order: String(v.sort_order), active: v.active ? '1' : undefined };
}

function VariantFields(props: { form: string; state: FormState; withStock?: boolean }) {
  const { form, state } = props;
  return (
    <div class="grid">
      <Input form={form} name="sku" label="SKU" state={state} required maxLength={40} hint="半角英数字・ハイフン等。大文字にそろえます。" />
      <Input form={form} name="name_ja" label="種類名" state={state} required maxLength={60} hint="例: 100g袋" />
      <Input form={form} name="name_en" label="種類名（英語）" state={state} maxLength={60} />
      <Input form={form} name="price_yen" label="価格（税込・円）" state={state} required inputMode="numeric" maxLength={9} />
      {props.withStock ? <Input form={form} name="stock" label="初期在庫" state={state} required inputMode="numeric" maxLength={7} /> : null}
      <Input form={form} name="sort_order" label="表示順" state={state} inputMode="numeric" maxLength={6} />
      <Checkbox form={form} name="active" label="販売する（有効）" state={state} />
    </div>
  );
}

function VariantPanel(props: { c: AdminCtx; base: string; variant: VariantTable; form: FormState; stock: FormState }) {
  const { c, variant: v } = props;
  const key = v.id.toLowerCase();
  return (
    <section class="panel" aria-label={`SKU ${v.sku}`}>
      <h3>
        {v.sku} — {v.name_ja} — {formatYen(v.price_yen)} — 在庫 {v.stock}
        {v.active ? null : <> <span class="tag">販売停止</span></>}
      </h3>
      <form method="post" action={`${props.base}/variants/${v.id}`} novalidate>
        <Csrf c={c} />
        <FormErrors errors={props.form.errors} />
        <VariantFields form={key} state={props.form} />
        <button type="submit" class="btn small">SKUを保存</button>
      </form>
      <form method="post" action={`${props.base}/variants/${v.id}/stock`} class="filters" novalidate>
        <Csrf c={c} />
        <input type="hidden" name="expected" value={String(v.stock)} />
        <SelectField form={`${key}-stock`} name="mode" label="在庫の調整" state={props.stock} options={[{ value: 'delta', label: '増減（入荷は＋、減少は−）' }, { value: 'set', label: '在庫数を設定' }]} />
        <Input form={`${key}-stock`} name="amount" label="数量" state={props.stock} required inputMode="numeric" maxLength={8} />
        <Input form={`${key}-stock`} name="reason" label="理由" state={props.stock} maxLength={100} hint="例: 入荷、棚卸、破損" />
        <div class="field"><button type="submit" class="btn small secondary">在庫を更新</button></div>
      </form>
      {props.stock.errors._form ? <p class="field-error">{props.stock.errors._form}</p> : null}
    </section>
  );
}

export function CategoriesPage(props: { c: AdminCtx; categories: (CategoryTable & { products: number })[]; forms: Record<string, FormState>; notice: string | null }) {
  const { c } = props;
  return (
    <>
      <p><a href={`${c.base}/products`}>‹ 商品一覧</a></p>
      <Notice text={props.notice} />
      {props.categories.map((cat) => {
        const saved = { slug: cat.slug, name_ja: cat.name_ja, name_en: cat.name_en, sort_order: String(cat.sort_order) };
        const posted = props.forms[cat.id];
        const form = posted ? { values: { ...saved, ...posted.values }, errors: posted.errors } : emptyForm(saved);
        const key = cat.id.toLowerCase();
        return (
          <section class="panel" aria-label={cat.name_ja}>
            <h2>{cat.name_ja} <small class="hint">商品 {cat.products}件</small></h2>
            <form method="post" action={`${c.base}/categories/${cat.id}`} novalidate>
              <Csrf c={c} />
              <FormErrors errors={form.errors} />
              <CategoryFields form={key} state={form} />
              <button type="submit" class="btn small">保存</button>
            </form>
            {cat.products === 0 ? (
              <form method="post" action={`${c.base}/categories/${cat.id}/delete`}>
                <Csrf c={c} />
                <button type="submit" class="btn small danger" data-confirm="このカテゴリーを削除しますか？">削除</button>
              </form>
            ) : null}
          </section>
        );
      })}
      <section class="panel" aria-labelledby="new-cat-h">
        <h2 id="new-cat-h">カテゴリーを追加</h2>
        <form method="post" action={`${c.base}/categories`} novalidate>
          <Csrf c={c} />
          <FormErrors errors={props.forms.new?.errors ?? {}} />
          <CategoryFields form="new" state={props.forms.new ?? emptyForm({ sort_order: '0' })} />
          <button type="submit" class="btn">追加</button>
        </form>
      </section>
    </>
  );
}

function CategoryFields(props: { form: string; state: FormState }) {
  return (
    <div class="grid">
      <Input form={props.form} name="slug" label="スラッグ（URL）" state={props.state} required maxLength={80} />
      <Input form={props.form} name="name_ja" label="名前" state={props.state} required maxLength={60} />
      <Input form={props.form} name="name_en" label="名前（英語）" state={props.state} maxLength={60} />
      <Input form={props.form} name="sort_order" label="表示順" state={props.state} inputMode="numeric" maxLength={6} />
    </div>
  );
}
