import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, beforeEach, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { AuditLog, entryHash } from '../../src/admin/audit.js';
import { signedInStaff } from '../helpers/admin.js';
import { Client } from '../helpers/browser-client.js';
import { DIALECTS, type TestShop, cliEnv, startTestShop } from '../helpers/shop.js';

const run = promisify(execFile);


/** `npx mamori audit verify`: exit code and everything it printed. */
async function cliVerify(shop: TestShop): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, ['bin/mamori.js', 'audit', 'verify'], { env: cliEnv(shop) });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

for (const { dialect, skip } of DIALECTS) {
  describe(`audit log on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    let audit: AuditLog;
    before(async () => {
      shop = await startTestShop({ dialect, seedDemo: false });
      audit = shop.shop.services.audit;
    });
    after(async () => {
      await shop?.close();
    });
    beforeEach(async () => {
      await db().deleteFrom('audit_log').execute();
      for (let i = 1; i <= 6; i++) await audit.append({ actor: 'staff:owner@example.jp', action: `test.action_${i}`, target: `t${i}`, detail: { n: i } });
    });
    const db = () => shop.shop.services.handle.db;

    test('an intact chain verifies, in the service, the CLI (exit 0) and at the top of the audit page', async () => {
      const v = await audit.verify();
      assert.equal(v.ok, true);
      assert.equal(v.entries, 6);
      const last = await db().selectFrom('audit_log').select('hash').where('seq', '=', 6).executeTakeFirstOrThrow();
      assert.ok(v.ok && v.lastHash === last.hash);
      const cli = await cliVerify(shop);
      assert.equal(cli.code, 0, cli.out);
      assert.equal(cli.out.trim(), `OK: 6 entries, last hash ${last.hash}`);
      const c = new Client(shop.url);
      await signedInStaff(shop.shop.services, c, 'security', 'auditor@example.jp');
      const page = await c.get('/admin/audit');
      assert.equal(page.status, 200);
      assert.match(page.html, /data-verify="ok"/);
      assert.match(page.html, /改ざんは検出されませんでした（6件/);
      // Newest first.
      assert.ok(page.html.indexOf('test.action_6') < page.html.indexOf('test.action_1'));
    });

    test('an edited entry is reported with its number (CLI exit 1, page shows it)', async () => {
      await db().updateTable('audit_log').set({ detail: JSON.stringify({ n: 999 }) }).where('seq', '=', 3).execute();
      const v = await audit.verify();
      assert.equal(v.ok, false);
      assert.ok(!v.ok && v.problem === 'edited' && v.seq === 3);
      const cli = await cliVerify(shop);
      assert.equal(cli.code, 1);
      assert.match(cli.out, /entry #3 was changed/);
      const c = new Client(shop.url);
      await signedInStaff(shop.shop.services, c, 'owner', 'owner-edit@example.jp');
      const page = await c.get('/admin/audit');
      assert.match(page.html, /data-verify="broken"/);
      assert.match(page.html, /#3 の記録が書き換えられています/);
    });

    test('a deleted entry is reported', async () => {
      await db().deleteFrom('audit_log').where('seq', '=', 4).execute();
      const v = await audit.verify();
      assert.ok(!v.ok && v.problem === 'deleted_or_inserted' && v.seq === 4, JSON.stringify(v));
      const cli = await cliVerify(shop);
      assert.equal(cli.code, 1);
      assert.match(cli.out, /entry #4 is missing/);
    });

    test('a forged entry inserted in the middle (later entries renumbered) is reported', async () => {
      // Make room at #3 (two steps, so the primary key never collides), then forge a well-formed entry.
      await db().updateTable('audit_log').set((eb) => ({ seq: eb('seq', '+', 1000) })).where('seq', '>=', 3).execute();
      await db().updateTable('audit_log').set((eb) => ({ seq: eb('seq', '-', 999) })).where('seq', '>=', 1000).execute();
      const prev = await db().selectFrom('audit_log').select('hash').where('seq', '=', 2).executeTakeFirstOrThrow();
      const forged = { seq: 3, id: 'aud_FORGED0000000000', at: new Date().toISOString(), actor: 'staff:intruder@example.jp', action: 'staff.create', target: null, detail: null, prev_hash: prev.hash };
      await db().insertInto('audit_log').values({ ...forged, hash: entryHash(forged) }).execute();
      const v = await audit.verify();
      assert.equal(v.ok, false);
      assert.ok(!v.ok && v.seq === 4, JSON.stringify(v));
      const cli = await cliVerify(shop);
      assert.equal(cli.code, 1);
      assert.match(cli.out, /entry #4/);
    });

    test('paging: newest first, 50 a page, then older entries', async () => {
      for (let i = 7; i <= 60; i++) await audit.append({ actor: 'system', action: `test.bulk_${i}`, detail: { i } });
      const c = new Client(shop.url);
      await signedInStaff(shop.shop.services, c, 'owner', 'owner-paging@example.jp');
      const first = await c.get('/admin/audit');
      assert.match(first.html, /test\.bulk_60/);
      assert.doesNotMatch(first.html, /test\.action_1</);
      const more = /href="(\/admin\/audit\?before=\d+)"/.exec(first.html);
      assert.ok(more);
      const second = await c.get(more[1]!);
      assert.match(second.html, /test\.action_1</);
      assert.doesNotMatch(second.html, /test\.bulk_60/);
      assert.equal((await c.get('/admin/audit?before=-1')).status, 400);
    });
  });
}
