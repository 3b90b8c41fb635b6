import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AlertService } from '../../src/alerts/service.js';
import { loadConfig } from '../../src/app/config.js';
import { nowIso } from '../../src/db/index.js';
import {
  computeFingerprint, fingerprintEnvironment, recordAuditedFingerprint, setFingerprintEnvironment, SettingsFingerprintMonitor, type FingerprintEnvironment,
} from '../../src/integrity/fingerprint.js';
import { integrityDb } from '../../src/integrity/tables.js';
import { SettingsService } from '../../src/settings/service.js';
import { newId } from '../../src/shared/ids.js';
import { DIALECTS } from '../helpers/shop.js';
import { openIntegrityDb, RecordingAlerts } from './helpers.js';

type Handle = Awaited<ReturnType<typeof openIntegrityDb>>;

function staffRow(email: string, role: 'owner' | 'staff' | 'security' = 'staff') {
  const now = nowIso();
  return {
    id: newId('stf'), email, email_norm: email.toLowerCase(), name: 'テスト', role, status: 'active' as const, password_hash: 'x', totp_secret: null,
    totp_enabled_at: null, recovery_codes: '[]', failed_attempts: 0, locked_until: null, setup_token_hash: null, setup_expires_at: null, created_at: now, updated_at: now,
  };
}

for (const { dialect, skip } of DIALECTS) {
  describe(`settings fingerprint on ${dialect}`, { skip }, () => {
    let h: Handle;
    let env: FingerprintEnvironment;
    before(async () => {
      h = await openIntegrityDb(dialect);
      const config = loadConfig({ NODE_ENV: 'test', MAMORI_DATA_DIR: h.dir, ADMIN_ALLOW_CIDRS: '10.0.0.0/8' });
      env = fingerprintEnvironment(config, 'http://127.0.0.1:3100');
      setFingerprintEnvironment(env);
    });
    after(async () => {
      await h?.cleanup();
    });

    const monitor = (alerts: RecordingAlerts, e: FingerprintEnvironment = env) => new SettingsFingerprintMonitor({ db: h.db, alerts, env: e, confirmDelayMs: 50 });

    test('first check takes a baseline; an audited change is not an alert; a direct staff insert is critical settings_tampered', async () => {
      const alerts = new RecordingAlerts();
      const m = monitor(alerts);
      const first = await m.check();
      assert.ok(first.ok && first.baselined);
      assert.ok((await m.check()).ok);

      // The audited path: change, then record (in one transaction, as the admin code does).
      await h.db.transaction().execute(async (trx) => {
        await trx.insertInto('staff').values(staffRow('owner@example.jp', 'owner')).execute();
        await recordAuditedFingerprint(trx, 'staff invited: owner@example.jp');
      });
      const audited = await m.check();
      assert.ok(audited.ok, 'an audited change matches its record');
      assert.equal(alerts.raised.length, 0);

      // An attacker with database access adds a staff account directly.
      await h.db.insertInto('staff').values(staffRow('attacker@evil.example', 'owner')).execute();
      const r = await m.check();
      assert.ok(!r.ok && r.problem === 'changed');
      if (!r.ok) assert.deepEqual(r.changed, ['staff']);
      assert.equal(alerts.raised.length, 1);
      assert.equal(alerts.raised[0]!.kind, 'settings_tampered');
      assert.equal(alerts.raised[0]!.severity, 'critical');
      assert.ok(!JSON.stringify(alerts.raised[0]!.evidence).includes('attacker@'), 'evidence names the part, not the data');
      // Checked again: the same state is not alerted twice.
      await m.check();
      assert.equal(alerts.raised.length, 1);
      await h.db.deleteFrom('staff').where('email', '=', 'attacker@evil.example').execute();
      assert.ok((await m.check()).ok, 'back to the recorded state');
    });

    test('a role change, a payment or bank settings change written directly are detected; the same through the audited path is not', async () => {
      const alerts = new RecordingAlerts();
      const m = monitor(alerts);
      assert.ok((await m.check()).ok);
      await h.db.updateTable('staff').set({ role: 'security' }).where('email', '=', 'owner@example.jp').execute();
      const role = await m.check();
      assert.ok(!role.ok && role.changed.includes('staff'));
      await h.db.updateTable('staff').set({ role: 'owner' }).where('email', '=', 'owner@example.jp').execute();

      const settings = new SettingsService(h.db, 0);
      await settings.set('bank', { accountNumber: '7654321' });
      const bank = await m.check();
      assert.ok(!bank.ok && bank.changed.includes('bank'), 'the bank account money is paid into');
      await recordAuditedFingerprint(h.db, 'bank account changed by owner');
      assert.ok((await m.check()).ok);
      await settings.set('payments', { card: false });
      const pay = await m.check();
      assert.ok(!pay.ok && pay.changed.includes('payments'));
      await recordAuditedFingerprint(h.db, 'payment methods changed');
      assert.ok((await m.check()).ok);
      // Columns that change on every login are not part of it.
      await h.db.updateTable('staff').set({ failed_attempts: 3, updated_at: nowIso() }).execute();
      assert.ok((await m.check()).ok);
    });

    test('a changed environment (provider origin, admin allow-list) is detected at the next start', async () => {
      const alerts = new RecordingAlerts();
      const moved = { ...env, provider: { ...env.provider, origin: 'https://pay.evil.example' } };
      const r = await monitor(alerts, moved).check();
      assert.ok(!r.ok && r.changed.includes('provider'));
      const open = { ...env, admin: { ...env.admin, allowCidrs: [] } };
      const r2 = await monitor(new RecordingAlerts(), open).check();
      assert.ok(!r2.ok && r2.changed.includes('admin'));
    });

    test('an audited change made by a process with other variables (a CLI run) does not restate the environment', async () => {
      const m = monitor(new RecordingAlerts());
      assert.ok((await m.check()).ok);
      // e.g. `npx mamori admin create` run without the server's PSP_PUBLIC_URL
      const cli = { ...env, provider: { ...env.provider, origin: 'http://127.0.0.1:3100-other' }, admin: { ...env.admin, allowCidrs: [] } };
      await h.db.insertInto('staff').values(staffRow(`cli-${dialect}@example.jp`, 'owner')).execute();
      await recordAuditedFingerprint(h.db, 'staff.create', { env: cli });
      assert.ok((await m.check()).ok, 'the running shop sees no tampering');
      // …while the changed environment itself is still noticed by a process that has it.
      const r = await monitor(new RecordingAlerts(), cli).check();
      assert.ok(!r.ok && r.changed.includes('provider'));
    });

    test('a fingerprint record written straight into the database is not believed; deleted records are noticed', async () => {
      const alerts = new RecordingAlerts();
      const m = monitor(alerts);
      assert.ok((await m.check()).ok);
      await h.db.insertInto('staff').values(staffRow('sneaky@evil.example', 'owner')).execute();
      const fp = await computeFingerprint(h.db, env);
      await integrityDb(h.db).insertInto('integrity_fingerprints').values({
        id: newId('ifp'), at: new Date(Date.now() + 1000).toISOString(), fingerprint: fp.fingerprint, components: JSON.stringify(fp.components), reason: 'x', source: 'audited', mac: '0'.repeat(64),
      }).execute();
      const forged = await m.check();
      assert.ok(!forged.ok && forged.problem === 'forged_record');
      await h.db.deleteFrom('staff').where('email', '=', 'sneaky@evil.example').execute();

      await integrityDb(h.db).deleteFrom('integrity_fingerprints').execute();
      const gone = await m.check();
      assert.ok(!gone.ok && gone.problem === 'records_deleted');
      assert.deepEqual(alerts.raised.map((a) => a.kind), ['settings_tampered', 'settings_tampered']);
      await recordAuditedFingerprint(h.db, 're-baselined after the test');
    });

    test('the periodic check raises the alert within 5 s of a direct change', async () => {
      const alerts = new AlertService(h.db);
      const m = new SettingsFingerprintMonitor({ db: h.db, alerts, env, intervalMs: 2000, confirmDelayMs: 500 });
      assert.ok((await m.start()).ok);
      const raised = new Promise<number>((resolve) => alerts.onAlert((a) => {
        if (a.kind === 'settings_tampered') resolve(Date.now());
      }));
      const keepAlive = setTimeout(() => undefined, 10_000); // the monitor's own timer does not hold the process open
      const t0 = Date.now();
      await h.db.insertInto('staff').values(staffRow('inserted@evil.example', 'owner')).execute();
      const ms = (await raised) - t0;
      clearTimeout(keepAlive);
      console.log(`# settings fingerprint: direct staff insert alerted in ${ms} ms`);
      assert.ok(ms <= 5000, `${ms} ms`);
      await m.close();
      const open = await alerts.listOpen();
      assert.ok(open.some((a) => a.kind === 'settings_tampered' && a.severity === 'critical'));
    });
  });
}
