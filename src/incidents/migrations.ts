import type { MigrationDb, Migrations } from '../db/migrate.js';
import { customerIdentityColumns, orderIdentityColumns, orderScopeKeys } from '../shared/identity.js';

/**
 * Incident response (issue #6). History import and incident scoping keep imported customers and
 * orders in the shop's own tables, so native and imported history are scoped alike: identity keys
 * (src/shared/identity.ts) on customers and orders, where a row came from, and the indexes the
 * scoping needs.
 */
export const migrations: Migrations = {
  '0140_history_identity_keys': {
    async up(db: MigrationDb) {
      for (const col of ['email_key', 'phone_key', 'name_key', 'postal_key', 'external_id']) {
        await db.schema.alterTable('customers').addColumn(col, 'text').execute();
      }
      await db.schema.alterTable('customers').addColumn('source', 'text', (c) => c.notNull().defaultTo('shop')).execute();
      for (const col of [
        'orderer_email_key', 'orderer_phone_key', 'orderer_name_key', 'orderer_postal_key',
        'shipping_name_key', 'shipping_phone_key', 'shipping_postal_key',
      ]) {
        await db.schema.alterTable('orders').addColumn(col, 'text').execute();
      }
      await db.schema.alterTable('orders').addColumn('source', 'text', (c) => c.notNull().defaultTo('shop')).execute();

      // Backfill the rows written before the keys existed, a page at a time.
      let last = '';
      for (;;) {
        const rows = (await db.selectFrom('customers').select(['id', 'email', 'phone', 'name', 'postal_code']).where('id', '>', last).orderBy('id').limit(1000).execute()) as
          { id: string; email: string; phone: string; name: string; postal_code: string }[];
        if (rows.length === 0) break;
        for (const r of rows) await db.updateTable('customers').set(customerIdentityColumns(r)).where('id', '=', r.id).execute();
        last = rows[rows.length - 1]!.id;
      }
      last = '';
      for (;;) {
        const rows = (await db
          .selectFrom('orders')
          .select(['id', 'orderer_email', 'orderer_phone', 'orderer_name', 'orderer_postal_code', 'shipping_name', 'shipping_phone', 'shipping_postal_code'])
          .where('id', '>', last)
          .orderBy('id')
          .limit(1000)
          .execute()) as (Parameters<typeof orderIdentityColumns>[0] & { id: string })[];
        if (rows.length === 0) break;
        for (const r of rows) await db.updateTable('orders').set(orderIdentityColumns(r)).where('id', '=', r.id).execute();
        last = rows[rows.length - 1]!.id;
      }

      await db.schema.createIndex('customers_external_id_uq').on('customers').column('external_id').unique().execute();
      await db.schema.createIndex('customers_email_key_idx').on('customers').columns(['email_key', 'created_at', 'id']).execute();
      await db.schema.createIndex('customers_created_idx').on('customers').column('created_at').execute();
      await db.schema.createIndex('customers_updated_idx').on('customers').column('updated_at').execute();
      await db.schema.createIndex('orders_orderer_email_key_idx').on('orders').column('orderer_email_key').execute();
      await db.schema.createIndex('orders_orderer_phone_key_idx').on('orders').column('orderer_phone_key').execute();
      await db.schema.createIndex('customers_phone_key_idx').on('customers').column('phone_key').execute();
    },
  },
  '0145_orders_scope_keys': {
    async up(db: MigrationDb) {
      // Each order's scoping keys (src/shared/identity.ts orderScopeKeys), stored so that scoping
      // is an index range scan + group-by; written by checkout, staff order entry and import.
      await db.schema.alterTable('orders').addColumn('orderer_key', 'text').execute();
      await db.schema.alterTable('orders').addColumn('recipient_key', 'text').execute();
      let last = '';
      for (;;) {
        const rows = (await db
          .selectFrom('orders')
          .select(['id', 'ship_to_orderer', 'orderer_email_key', 'orderer_phone_key', 'orderer_name_key', 'shipping_name_key', 'shipping_phone_key', 'shipping_postal_key'])
          .where('id', '>', last)
          .orderBy('id')
          .limit(1000)
          .execute()) as (Parameters<typeof orderScopeKeys>[0] & { id: string })[];
        if (rows.length === 0) break;
        for (const r of rows) await db.updateTable('orders').set(orderScopeKeys(r)).where('id', '=', r.id).execute();
        last = rows[rows.length - 1]!.id;
      }
      // Covering: the counts read only this index (placed_at range), plus a payments lookup by order.
      // No index by key alone: nothing looks orders up by it yet, and every index slows imports.
      await db.schema.createIndex('orders_scope_idx').on('orders').columns(['placed_at', 'customer_id', 'orderer_key', 'recipient_key', 'channel', 'id']).execute();
    },
  },
  // Orders the external monitor places (issue #5, Layer 3) are no one's data: the scope leaves them
  // out, and the covering index carries the flag so the counts still read only the index.
  '0146_scope_idx_monitor': {
    async up(db: MigrationDb) {
      await db.schema.dropIndex('orders_scope_idx').execute();
      await db.schema.createIndex('orders_scope_idx').on('orders').columns(['placed_at', 'customer_id', 'orderer_key', 'recipient_key', 'channel', 'is_monitor', 'id']).execute();
    },
  },
};
