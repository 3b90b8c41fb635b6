import type { Db } from '../db/index.js';
import { nowIso } from '../db/index.js';
import { newToken, sha256Hex } from '../shared/ids.js';

export const SESSION_TTL_DAYS = 30;
export const MEMBER_IDLE_MINUTES = 60 * 24 * 14;

export interface SessionState {
  customerId: string | null;
  cartId: string | null;
}

/**
 * Sessions live in the database (several processes share them). The cookie holds a random token;
 * the table holds only its SHA-256. A row is created only when there is something to remember
 * (a cart, a login), so browsing costs no write.
 */
export class SessionService {
  constructor(private readonly db: Db) {}

  static hash(token: string): string {
    return sha256Hex(token);
  }

  async get(tokenHash: string): Promise<SessionState | null> {
    const row = await this.db
      .selectFrom('sessions')
      .select(['customer_id', 'cart_id', 'expires_at', 'last_seen_at'])
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (!row) return null;
    const now = Date.now();
    if (row.expires_at < nowIso(new Date(now))) return null;
    if (row.customer_id && Date.parse(row.last_seen_at) < now - MEMBER_IDLE_MINUTES * 60_000) {
      // An idle member session falls back to a visitor session: the cart stays, the login does not.
      await this.db.updateTable('sessions').set({ customer_id: null }).where('token_hash', '=', tokenHash).execute();
      return { customerId: null, cartId: row.cart_id };
    }
    if (row.customer_id && Date.parse(row.last_seen_at) < now - 5 * 60_000) {
      await this.db.updateTable('sessions').set({ last_seen_at: nowIso() }).where('token_hash', '=', tokenHash).execute();
    }
    return { customerId: row.customer_id, cartId: row.cart_id };
  }

  async upsert(tokenHash: string, patch: Partial<SessionState>): Promise<void> {
    const now = new Date();
    const expires = nowIso(new Date(now.getTime() + SESSION_TTL_DAYS * 86_400_000));
    const set: { customer_id?: string | null; cart_id?: string | null; last_seen_at: string; expires_at: string } = {
      last_seen_at: nowIso(now),
      expires_at: expires,
    };
    if (patch.customerId !== undefined) set.customer_id = patch.customerId;
    if (patch.cartId !== undefined) set.cart_id = patch.cartId;
    await this.db
      .insertInto('sessions')
      .values({
        token_hash: tokenHash,
        customer_id: patch.customerId ?? null,
        cart_id: patch.cartId ?? null,
        created_at: nowIso(now),
        last_seen_at: nowIso(now),
        expires_at: expires,
      })
      .onConflict((oc) => oc.column('token_hash').doUpdateSet(set))
      .execute();
  }

  /**
   * Starts a fresh session for a login or logout (a new token: no session fixation), carrying the
   * cart over. Returns the new cookie token.
   */
  async rotate(oldTokenHash: string, next: SessionState): Promise<string> {
    const token = newToken();
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('sessions').where('token_hash', '=', oldTokenHash).execute();
      const now = new Date();
      await trx
        .insertInto('sessions')
        .values({
          token_hash: SessionService.hash(token),
          customer_id: next.customerId,
          cart_id: next.cartId,
          created_at: nowIso(now),
          last_seen_at: nowIso(now),
          expires_at: nowIso(new Date(now.getTime() + SESSION_TTL_DAYS * 86_400_000)),
        })
        .execute();
    });
    return token;
  }

  /** Ends every session of a customer (password reset, withdrawal). */
  async endAllFor(customerId: string): Promise<void> {
    await this.db.updateTable('sessions').set({ customer_id: null }).where('customer_id', '=', customerId).execute();
  }

  async purgeExpired(): Promise<void> {
    await this.db.deleteFrom('sessions').where('expires_at', '<', nowIso()).execute();
  }
}
