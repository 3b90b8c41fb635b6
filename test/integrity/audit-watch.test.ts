import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { entryHash, GENESIS_HASH } from '../../src/admin/audit.js';
import { AuditChainWatch } from '../../src/integrity/audit-watch.js';
import { DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';

for (const { dialect, skip } of DIALECTS) {
  describe(`audit log watch on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    before(async () => {
      shop = await startTestShop({ dialect, seedDemo: false });
    });
    after(async () => {
      await shop?.close();
    });
    const services = () => shop.shop.services;
    const db = () => services().handle.db;
    const openAlerts = async () => (await services().alerts.listOpen()).filter((a) => a.kind === 'audit_log_tampered');

    test('an empty audit log is not an alarm', async () => {
      const watch = new AuditChainWatch({ audit: services().audit, alerts: services().alerts, fullEveryMs: 3_600_000 });
      assert.equal((await watch.check()).ok, true);
      assert.equal((await watch.check()).ok, true);
      assert.equal((await openAlerts()).length, 0);
    });

    test('an edit, a deletion or a rewritten chain made in the database is a critical alert within one check', async () => {
      for (let i = 0; i < 5; i++) await services().audit.append({ actor: 'staff:a@example.jp', action: 'test.action', target: `t${i}`, detail: { i } });
      const watch = new AuditChainWatch({ audit: services().audit, alerts: services().alerts, fullEveryMs: 3_600_000 });
      assert.equal((await watch.check()).ok, true); // the first check is a full one
      assert.equal((await watch.check()).ok, true); // then tail checks
      await services().audit.append({ actor: 'staff:a@example.jp', action: 'test.action', target: 'later', detail: null });
      assert.equal((await watch.check()).ok, true, 'normal appends are fine');
      assert.equal((await openAlerts()).length, 0);

      // 1. An attacker edits their own recent entry.
      const last = await db().selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
      await db().updateTable('audit_log').set({ target: 'nothing to see' }).where('seq', '=', last.seq).execute();
      const edited = await watch.check();
      assert.equal(edited.ok, false);
      const alerts = await openAlerts();
      assert.equal(alerts.length, 1);
      assert.equal(alerts[0]!.severity, 'critical');
      assert.match(alerts[0]!.message, /監査ログが管理画面の外で変更されました/);
      await db().updateTable('audit_log').set({ target: last.target }).where('seq', '=', last.seq).execute();

      // 2. …then rewrites the whole chain so that every hash matches again: the entry seen before changed.
      const watch2 = new AuditChainWatch({ audit: services().audit, alerts: services().alerts, fullEveryMs: 3_600_000 });
      assert.equal((await watch2.check()).ok, true);
      const rows = await db().selectFrom('audit_log').selectAll().orderBy('seq').execute();
      let prev = GENESIS_HASH;
      for (const r of rows) {
        const row = { ...r, detail: r.seq === 2 ? '{"rewritten":true}' : r.detail, prev_hash: prev };
        const { hash: _old, ...rest } = row;
        const hash = entryHash(rest);
        await db().updateTable('audit_log').set({ detail: row.detail, prev_hash: prev, hash }).where('seq', '=', r.seq).execute();
        prev = hash;
      }
      assert.equal((await services().audit.verify()).ok, true, 'a fully rewritten chain verifies on its own');
      const rewritten = await watch2.check();
      assert.equal(rewritten.ok, false);
      assert.match(rewritten.ok ? '' : rewritten.message, /chain was rewritten/);

      // 3. Deleting an old entry is seen by the cheap tail check (the count no longer matches).
      const watch3 = new AuditChainWatch({ audit: services().audit, alerts: services().alerts, fullEveryMs: 3_600_000 });
      await watch3.check();
      await db().deleteFrom('audit_log').where('seq', '=', 1).execute();
      const deleted = await watch3.check();
      assert.equal(deleted.ok, false);
      assert.equal(deleted.ok ? '' : deleted.problem, 'deleted_or_inserted');
    });
  });
}
