import { sql } from 'kysely';
import type { Db, DbOrTx } from '../db/index.js';
import { nowIso } from '../db/index.js';
import type { CatalogService, VariantForSale } from '../catalog/service.js';
import { newId } from '../shared/ids.js';

export const MAX_QUANTITY = 99;

export interface CartLine {
  variant: VariantForSale;
  quantity: number;
  lineTotalYen: number;
  /** Why this line cannot be bought as it is, if so. */
  problem: null | { kind: 'out_of_stock' } | { kind: 'insufficient'; available: number } | { kind: 'unavailable' };
}

export interface CartView {
  id: string | null;
  lines: CartLine[];
  itemsTotalYen: number;
  count: number;
  /** True when every line can be bought as it is. */
  purchasable: boolean;
}

/** The cart lives in the database, referenced from the visitor's session (and the member, once logged in). */
export class CartService {
  constructor(
    private readonly db: Db,
    private readonly catalog: CatalogService,
  ) {}

  async create(customerId: string | null): Promise<string> {
    const id = newId('cart');
    const now = nowIso();
    await this.db.insertInto('carts').values({ id, customer_id: customerId, created_at: now, updated_at: now }).execute();
    return id;
  }

  async count(cartId: string | null): Promise<number> {
    if (!cartId) return 0;
    const row = await this.db
      .selectFrom('cart_items')
      .select(sql<number>`coalesce(sum(quantity), 0)`.as('n'))
      .where('cart_id', '=', cartId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Adds to the line (capped at MAX_QUANTITY); the variant must exist and be on sale. */
  async add(cartId: string, variantId: string, quantity: number): Promise<'added' | 'unknown_variant' | 'out_of_stock'> {
    const [variant] = await this.catalog.getVariantsForSale([variantId]);
    if (!variant || !variant.active || !variant.published) return 'unknown_variant';
    if (variant.stock <= 0) return 'out_of_stock';
    const now = nowIso();
    await this.db
      .insertInto('cart_items')
      .values({ cart_id: cartId, variant_id: variantId, quantity: Math.min(quantity, MAX_QUANTITY), added_at: now })
      .onConflict((oc) =>
        oc.columns(['cart_id', 'variant_id']).doUpdateSet({
          quantity: sql`case when cart_items.quantity + ${quantity} > ${MAX_QUANTITY} then ${MAX_QUANTITY} else cart_items.quantity + ${quantity} end`,
        }),
      )
      .execute();
    await this.touch(cartId);
    return 'added';
  }

  /** Sets quantities; 0 removes the line. */
  async setQuantities(cartId: string, quantities: Map<string, number>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const [variantId, qty] of quantities) {
        if (qty <= 0) {
          await trx.deleteFrom('cart_items').where('cart_id', '=', cartId).where('variant_id', '=', variantId).execute();
        } else {
          await trx
            .updateTable('cart_items')
            .set({ quantity: Math.min(qty, MAX_QUANTITY) })
            .where('cart_id', '=', cartId)
            .where('variant_id', '=', variantId)
            .execute();
        }
      }
    });
    await this.touch(cartId);
  }

  async view(cartId: string | null): Promise<CartView> {
    if (!cartId) return { id: null, lines: [], itemsTotalYen: 0, count: 0, purchasable: false };
    const items = await this.db.selectFrom('cart_items').select(['variant_id', 'quantity']).where('cart_id', '=', cartId).orderBy('added_at').execute();
    return this.viewItems(cartId, items);
  }

  /**
   * Items priced and checked against stock as a cart shows them: the cart's own view, and the
   * staff order entry (issue #9), which prices its lines with the same code as the storefront.
   */
  async viewItems(cartId: string | null, items: { variant_id: string; quantity: number }[]): Promise<CartView> {
    const variants = new Map((await this.catalog.getVariantsForSale(items.map((i) => i.variant_id))).map((v) => [v.id, v]));
    const lines: CartLine[] = [];
    for (const item of items) {
      const variant = variants.get(item.variant_id);
      if (!variant) continue;
      let problem: CartLine['problem'] = null;
      if (!variant.active || !variant.published) problem = { kind: 'unavailable' };
      else if (variant.stock <= 0) problem = { kind: 'out_of_stock' };
      else if (variant.stock < item.quantity) problem = { kind: 'insufficient', available: variant.stock };
      lines.push({ variant, quantity: item.quantity, lineTotalYen: variant.price_yen * item.quantity, problem });
    }
    const itemsTotalYen = lines.reduce((s, l) => s + l.lineTotalYen, 0);
    const count = lines.reduce((s, l) => s + l.quantity, 0);
    return { id: cartId, lines, itemsTotalYen, count, purchasable: lines.length > 0 && lines.every((l) => l.problem === null) };
  }

  /** After login: the member's saved cart absorbs the visitor's cart. Returns the cart to use. */
  async adoptForMember(visitorCartId: string | null, customerId: string): Promise<string | null> {
    const memberCart = await this.db
      .selectFrom('carts')
      .select('id')
      .where('customer_id', '=', customerId)
      .orderBy('updated_at', 'desc')
      .executeTakeFirst();
    if (!memberCart) {
      if (visitorCartId) await this.db.updateTable('carts').set({ customer_id: customerId }).where('id', '=', visitorCartId).execute();
      return visitorCartId;
    }
    if (visitorCartId && visitorCartId !== memberCart.id) {
      const items = await this.db.selectFrom('cart_items').select(['variant_id', 'quantity']).where('cart_id', '=', visitorCartId).execute();
      for (const item of items) await this.add(memberCart.id, item.variant_id, item.quantity);
      await this.db.deleteFrom('carts').where('id', '=', visitorCartId).execute();
    }
    return memberCart.id;
  }

  /** Empties the cart inside the order transaction. */
  async clear(trx: DbOrTx, cartId: string): Promise<void> {
    await trx.deleteFrom('cart_items').where('cart_id', '=', cartId).execute();
  }

  private async touch(cartId: string): Promise<void> {
    await this.db.updateTable('carts').set({ updated_at: nowIso() }).where('id', '=', cartId).execute();
  }
}
