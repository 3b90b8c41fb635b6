import { Csrf, Layout, Notice, Price } from '../web/layout.js';
import { formatYen } from '../web/i18n.js';
import type { ViewCtx } from '../web/view.js';
import type { CartLine, CartView } from './service.js';

export function problemText(line: CartLine): string | null {
  const p = line.problem;
  if (!p) return null;
  if (p.kind === 'out_of_stock') return '申し訳ありません。この商品は在庫切れになりました。数量を0にして削除してください。';
  if (p.kind === 'insufficient') return `在庫が不足しています（残り${p.available}点）。数量を${p.available}以下にしてください。`;
  return 'この商品は現在お取り扱いしていません。削除してください。';
}

export function CartPage(props: { v: ViewCtx; cart: CartView; message?: string | undefined; errors?: string[] }) {
  const { v, cart } = props;
  return (
    <Layout v={v} title={v.t('cart.title')}>
      <h1>{v.t('cart.title')}</h1>
      {props.message ? <Notice kind="success">{props.message}</Notice> : null}
      {props.errors?.map((e) => <Notice kind="error">{e}</Notice>)}
      {cart.lines.length === 0 ? (
        <>
          <p>{v.t('cart.empty')}</p>
          <p><a class="btn secondary" href="/products">{v.t('nav.products')}</a></p>
        </>
      ) : (
        <form method="post" action="/cart/update">
          <Csrf v={v} />
          <table>
            <thead>
              <tr><th>商品</th><th class="num">単価</th><th class="num">数量</th><th class="num">小計</th></tr>
            </thead>
            <tbody>
              {cart.lines.map((l) => {
                const problem = problemText(l);
                return (
                  <tr>
                    <td>
                      <a href={`/products/${l.variant.slug}`}>{v.lang === 'en' ? l.variant.product_name_en : l.variant.product_name}</a>
                      <br />
                      <small>{v.lang === 'en' ? l.variant.variant_name_en : l.variant.variant_name}（{l.variant.sku}）{l.variant.tax_rate === 8 ? ' ※軽減税率' : ''}</small>
                      <br />
                      <small class="hint">在庫 {l.variant.stock > 0 ? `${l.variant.stock}点` : 'なし'}</small>
                      {problem ? <p class="field-error" role="alert">{problem}</p> : null}
                    </td>
                    <td class="num"><Price yen={l.variant.price_yen} v={v} /></td>
                    <td class="num">
                      <label class="visually-hidden" for={`qty-${l.variant.id}`}>数量</label>
                      <input id={`qty-${l.variant.id}`} name={`qty_${l.variant.id}`} type="number" min={0} max={99} value={String(l.quantity)} inputMode="numeric" size={3} />
                      <br />
                      <button class="btn link" type="submit" name="remove" value={l.variant.id}>{v.t('cart.remove')}</button>
                    </td>
                    <td class="num">{formatYen(l.lineTotalYen)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <table class="totals">
            <tbody>
              <tr class="grand"><th>{v.t('cart.subtotal')}（税込）</th><td class="num">{formatYen(cart.itemsTotalYen)}</td></tr>
            </tbody>
          </table>
          <p class="hint">送料・代引き手数料はお届け先とお支払い方法により、次の画面で計算されます。</p>
          <p>
            <button class="btn secondary" type="submit" name="action" value="update">{v.t('cart.update')}</button>
          </p>
        </form>
      )}
      {cart.lines.length > 0 ? (
        <p>
          {cart.purchasable ? (
            <a class="btn block" href="/checkout">{v.t('cart.checkout')}</a>
          ) : (
            <span class="btn block" aria-disabled="true">在庫をご確認ください</span>
          )}
        </p>
      ) : null}
    </Layout>
  );
}
