import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startPsp, type PspHandle } from '../../psp/server.js';
import { openDatabase, type DbHandle } from '../../src/db/index.js';
import { enqueueMail } from '../../src/notify/outbox.js';
import { messageIdOf } from '../../bench/buyer.js';
import { Client, guestForm } from '../helpers/browser-client.js';
import { CHILD_SECRETS, ChildShop } from '../helpers/child-shop.js';
import { freePort, freshPgSchema, PG_URL } from '../helpers/shop.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';

/**
 * Two real shop processes (`mamori start`, workers on) on one PostgreSQL database: the background
 * work runs once across them. Every queued mail reaches the (real) SMTP server exactly once, and the
 * payment reconciliation both run at start asks the provider about each open payment once, not once
 * per process.
 */
describe('background work runs once across two shop processes on one PostgreSQL', { skip: PG_URL ? false : 'TEST_DATABASE_URL not set' }, () => {
  const MAILS = 150;
  const OPEN_PAYMENTS = 3;
  let psp: PspHandle;
  let schema: Awaited<ReturnType<typeof freshPgSchema>>;
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  let handle: DbHandle;
  const dirs: string[] = [];
  const shops: ChildShop[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'mamori-scale-'));
    dirs.push(d);
    return d;
  };

  async function waitFor(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`not reached within ${ms} ms: ${what}`);
  }

  before(async () => {
    schema = await freshPgSchema();
    sink = await startSmtpSink();
    psp = await startPsp({ host: '127.0.0.1', port: 0, dataDir: dir(), apiKey: CHILD_SECRETS.PSP_API_KEY, webhookSecret: CHILD_SECRETS.PSP_WEBHOOK_SECRET, logLevel: 'silent' });
    const env = { DATABASE_URL: schema.url, SMTP_URL: sink.url, MAIL_LEASE_SECONDS: '15' };

    // A first process, workers off, leaves card payments open at the provider (buyers who never paid).
    const setup = new ChildShop(dir(), await freePort(), psp, { ...env, MAMORI_WORKERS: '0' });
    await setup.start(60_000);
    for (let i = 0; i < OPEN_PAYMENTS; i++) {
      const c = new Client(setup.url);
      await c.get('/products/kaga-bo-hojicha');
      await c.post('/cart/add', { variant_id: /name="variant_id" value="([^"]+)"/.exec(c.last!.html)![1]!, quantity: '1' });
      await c.get('/checkout');
      await c.post('/checkout/confirm', guestForm({ payment_method: 'card', orderer_email: `open${i}@example.jp` }));
      const page = await c.request('/checkout/place', { form: c.hiddenFields('/checkout/place') });
      assert.match(page.url, /\/pay\//, 'the buyer reached the provider');
    }
    await setup.kill9();

    handle = openDatabase({ databaseUrl: schema.url, dataDir: dir() });
    for (let i = 0; i < MAILS; i++) {
      await enqueueMail(handle.db, { dedupeKey: `scale-test:${i}`, kind: 'scale_test', to: `m${i}@example.jp`, subject: `テスト ${i}`, text: `本文 ${i}` });
    }

    // Then two processes with their workers on, started together.
    for (let i = 0; i < 2; i++) shops.push(new ChildShop(dir(), await freePort(), psp, env));
    await Promise.all(shops.map((s) => s.start(60_000)));
  });

  after(async () => {
    for (const s of shops) await s.kill9();
    await handle?.close();
    await psp?.close();
    await sink?.close();
    await schema?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('every queued mail is sent exactly once', async () => {
    await waitFor('all mails sent', async () => {
      const left = await handle.db.selectFrom('outbox').select('id').where('kind', '=', 'scale_test').where('status', '!=', 'sent').execute();
      return left.length === 0;
    });
    const rows = await handle.db.selectFrom('outbox').select('id').where('kind', '=', 'scale_test').execute();
    assert.equal(rows.length, MAILS);
    const counts = new Map<string, number>();
    for (const m of sink.messages) {
      const id = messageIdOf(m.raw);
      if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    for (const r of rows) assert.equal(counts.get(`${r.id}@mamori.invalid`), 1, `mail ${r.id} delivered once`);
    assert.equal(sink.messages.length, MAILS, 'nothing else, nothing twice');
  });

  test('the start-up reconciliation asks about each open payment once, not once per process', async () => {
    const open = await handle.db.selectFrom('payments').select('id').where('provider_payment_id', 'is not', null).execute();
    assert.equal(open.length, OPEN_PAYMENTS);
    const reconciled = async () =>
      handle.db.selectFrom('payment_events').select(['payment_id']).where('source', '=', 'reconcile').execute();
    await waitFor('reconciliation ran', async () => (await reconciled()).length >= OPEN_PAYMENTS);
    // Both processes are up and past their start-up run (health answered, the outbox drained): a
    // second run would have recorded its events by now. Give it a moment more all the same.
    await new Promise((r) => setTimeout(r, 2000));
    const events = await reconciled();
    for (const p of open) assert.equal(events.filter((e) => e.payment_id === p.id).length, 1, `payment ${p.id} reconciled once`);
    const lease = await handle.db.selectFrom('leases').select(['holder', 'expires_at']).where('name', '=', 'payments:reconcile').executeTakeFirst();
    assert.ok(lease, 'the reconciliation ran under its lease');
  });
});
