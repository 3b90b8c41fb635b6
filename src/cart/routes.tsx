import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { badRequest } from '../app/errors.js';
import type { SessionService } from '../customers/sessions.js';
import { redirect } from '../web/context.js';
import type { Pages } from '../web/page.js';
import { parseForm, parseQuery } from '../shared/validation.js';
import { MAX_QUANTITY, type CartService } from './service.js';
import { CartPage } from './views.js';

const VARIANT_ID = /^var_[0-9A-Z]{16}$/;

const addSchema = z
  .object({
    variant_id: z.string({ error: '商品の種類を選択してください。' }).regex(VARIANT_ID, '商品の種類を選択してください。'),
    quantity: z.string().regex(/^\d{1,2}$/, `数量は1〜${MAX_QUANTITY}で入力してください。`).transform(Number).refine((n) => n >= 1 && n <= MAX_QUANTITY, `数量は1〜${MAX_QUANTITY}で入力してください。`),
  })
  .strict();

const cartQuery = z.object({ updated: z.literal('1').optional(), added: z.literal('1').optional(), lang: z.enum(['ja', 'en']).optional() }).strict();

export async function ensureCart(req: FastifyRequest, cart: CartService, sessions: SessionService): Promise<string> {
  const session = await req.visitor.session();
  if (session.cartId) return session.cartId;
  const cartId = await cart.create(session.customerId);
  await sessions.upsert(req.visitor.tokenHash, { cartId });
  session.cartId = cartId;
  return cartId;
}

export function cartRoutes(app: FastifyInstance, deps: { cart: CartService; sessions: SessionService; pages: Pages }): void {
  const { cart, sessions, pages } = deps;

  app.get('/cart', async (req, reply) => {
    const q = parseQuery(cartQuery, req.query);
    const session = await req.visitor.session();
    const view = await cart.view(session.cartId);
    return pages.render(req, reply, (v) => <CartPage v={v} cart={view} message={q.added ? 'カートに追加しました。' : q.updated ? 'カートを更新しました。' : undefined} />);
  });

  app.post('/cart/add', async (req, reply) => {
    const parsed = parseForm(addSchema, req.body);
    if (!parsed.ok) throw badRequest(Object.values(parsed.errors)[0] ?? '入力内容が正しくありません。', parsed.errors);
    const cartId = await ensureCart(req, cart, sessions);
    const result = await cart.add(cartId, parsed.data.variant_id, parsed.data.quantity);
    if (result === 'unknown_variant') throw badRequest('この商品は現在お取り扱いしていません。');
    if (result === 'out_of_stock') {
      const view = await cart.view(cartId);
      return pages.render(req, reply, (v) => <CartPage v={v} cart={view} errors={['申し訳ありません。この商品は在庫切れです。']} />, 409);
    }
    pages.forgetVisitor(req.visitor.tokenHash);
    return redirect(reply, '/cart?added=1');
  });

  app.post('/cart/update', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const quantities = new Map<string, number>();
    const errors: string[] = [];
    for (const [key, value] of Object.entries(body)) {
      if (key === '_csrf' || key === 'action') continue;
      if (key === 'remove') {
        if (typeof value !== 'string' || !VARIANT_ID.test(value)) throw badRequest('削除する商品の指定が正しくありません。');
        continue;
      }
      const m = /^qty_(var_[0-9A-Z]{16})$/.exec(key);
      if (!m) throw badRequest('想定外の項目が送信されました。');
      if (typeof value !== 'string' || !/^\d{1,2}$/.test(value.trim())) {
        errors.push(`数量は0〜${MAX_QUANTITY}の数字で入力してください。`);
        continue;
      }
      quantities.set(m[1]!, Number(value.trim()));
    }
    if (typeof body.remove === 'string') quantities.set(body.remove, 0);
    const session = await req.visitor.session();
    if (!session.cartId) return redirect(reply, '/cart');
    if (errors.length > 0) {
      const view = await cart.view(session.cartId);
      return pages.render(req, reply, (v) => <CartPage v={v} cart={view} errors={errors} />, 422);
    }
    await cart.setQuantities(session.cartId, quantities);
    pages.forgetVisitor(req.visitor.tokenHash);
    return redirect(reply, '/cart?updated=1');
  });
}
