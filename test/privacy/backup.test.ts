import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { startShop } from '../../src/app/main.js';
import { Client, guestForm } from '../helpers/browser-client.js';
import { cliEnv, DIALECTS, freePort, startTestShop } from '../helpers/shop.js';

const run = promisify(execFile);
const mamori = (args: string[], env: NodeJS.ProcessEnv) => run(process.execPath, ['bin/mamori.js', ...args], { env });
const fails = async (args: string[], env: NodeJS.ProcessEnv): Promise<string> => {
  try {
    await mamori(args, env);
  } catch (err) {
    const e = err as { code: number; stderr: string };
    assert.equal(e.code, 1, e.stderr);
    return e.stderr;
  }
  throw new Error(`mamori ${args.join(' ')} should have failed`);
};

async function buyAsGuest(url: string): Promise<{ orderUrl: string; orderNumber: string }> {
  const c = new Client(url);
  await c.get('/products/fukamushi-sencha');
  const variant = /name="variant_id" value="(var_[0-9A-Z]{16})"(?![^>]*disabled)/.exec(c.last!.html)![1]!;
  await c.post('/cart/add', { variant_id: variant, quantity: '2' });
  await c.get('/checkout');
  const confirm = await c.post('/checkout/confirm', guestForm({ payment_method: 'bank_transfer' }));
  assert.equal(confirm.status, 200);
  const done = await c.request('/checkout/place', { form: c.hiddenFields('/checkout/place') });
  assert.match(done.html, /ご注文ありがとうございました/);
  const orderNumber = /注文番号[^0-9A-Z]*([0-9A-Z-]{6,})/.exec(done.html)?.[1] ?? '';
  return { orderUrl: done.url.replace(url, ''), orderNumber };
}

for (const { dialect, skip } of DIALECTS) {
  describe(`backup and restore on ${dialect}`, { skip }, () => {
    test('a live backup restored into a fresh data directory serves the same orders; tampering, a wrong key and overwriting are refused', async () => {
      const shop = await startTestShop({ dialect });
      const fresh = mkdtempSync(join(tmpdir(), 'mamori-restore-'));
      const scratch = mkdtempSync(join(tmpdir(), 'mamori-backups-'));
      let restored: Awaited<ReturnType<typeof startShop>> | null = null;
      let stopped = false;
      try {
        const bought = await buyAsGuest(shop.url);
        const env = cliEnv(shop);
        const file = join(scratch, 'shop.mbk');
        const made = await mamori(['backup', '--out', file], env);
        assert.match(made.stdout, /Backup written: .*shop\.mbk/);
        assert.equal(statSync(file).mode & 0o777, 0o600);
        const keyFile = join(shop.dataDir, 'keys', 'master.key');
        assert.equal(statSync(keyFile).mode & 0o777, 0o600);
        // The archive is encrypted: no customer data, no secrets in it.
        const raw = readFileSync(file);
        for (const clear of ['山田', 'taro@example.jp', '03-1234-5678', shop.config.secrets.pspApiKey]) assert.equal(raw.includes(Buffer.from(clear)), false, clear);
        const audit = await shop.shop.services.handle.db.selectFrom('audit_log').select(['action', 'actor']).where('action', '=', 'backup.create').executeTakeFirstOrThrow();
        assert.match(audit.actor, /^cli:/);
        assert.match((await mamori(['backup', 'verify', file], env)).stdout, /^OK: backup of .* files decrypt and match their checksums/);

        // One flipped byte anywhere in the ciphertext: refused.
        const damaged = join(scratch, 'damaged.mbk');
        const copy = Buffer.from(raw);
        copy[Math.floor(copy.length * 0.6)]! ^= 0x01;
        writeFileSync(damaged, copy);
        assert.match(await fails(['backup', 'verify', damaged], env), /does not authenticate|cannot be read|damaged/);
        // Another master key: refused, and says which key it needs.
        const otherKey = join(scratch, 'other.key');
        writeFileSync(otherKey, `${Buffer.alloc(32, 7).toString('base64')}\n`, { mode: 0o600 });
        assert.match(await fails(['backup', 'verify', file], { ...env, MAMORI_MASTER_KEY_FILE: otherKey }), /made with master key [0-9a-f]{16}/);
        // Restoring over the running shop's database: refused without --force.
        assert.match(await fails(['restore', file], env), /exists|already has tables/);

        // Disaster: the shop, its data directory (and its PostgreSQL schema) are gone.
        const { databaseUrl, secrets } = shop.config;
        const orders = await shop.shop.services.handle.db.selectFrom('orders').selectAll().orderBy('id').execute();
        await shop.shop.stop();
        stopped = true;
        if (databaseUrl) {
          const schema = /search_path%3D([a-z0-9_]+)/.exec(databaseUrl)![1]!;
          const c = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
          await c.connect();
          await c.query(`drop schema ${schema} cascade`);
          await c.end();
        }
        const restoreEnv: NodeJS.ProcessEnv = { ...env, MAMORI_DATA_DIR: fresh, MAMORI_MASTER_KEY_FILE: keyFile };
        assert.match((await mamori(['restore', file], restoreEnv)).stdout, /Restored the backup/);
        assert.equal(existsSync(join(fresh, 'media')), existsSync(join(shop.dataDir, 'media')));

        const port = await freePort();
        restored = await startShop({ ...shop.config, dataDir: fresh, port, publicUrl: `http://127.0.0.1:${port}`, secrets }, { seedDemo: false });
        const again = await restored.services.handle.db.selectFrom('orders').selectAll().orderBy('id').execute();
        assert.deepEqual(again, orders);
        const page = await new Client(`http://127.0.0.1:${port}`).get(bought.orderUrl);
        assert.equal(page.status, 200);
        assert.match(page.html, /お振込先/);
        if (bought.orderNumber) assert.ok(page.html.includes(bought.orderNumber));
        const restoreAudit = await restored.services.handle.db.selectFrom('audit_log').select('action').where('action', '=', 'backup.restore').execute();
        assert.equal(restoreAudit.length, 1);
        assert.equal((await restored.services.audit.verify()).ok, true);
      } finally {
        await restored?.stop();
        if (!stopped) await shop.shop.stop();
        await shop.psp.close();
        if (shop.config.databaseUrl) {
          const schema = /search_path%3D([a-z0-9_]+)/.exec(shop.config.databaseUrl)![1]!;
          const c = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
          await c.connect();
          await c.query(`drop schema if exists ${schema} cascade`);
          await c.end();
        }
        rmSync(shop.dataDir, { recursive: true, force: true });
        rmSync(fresh, { recursive: true, force: true });
        rmSync(scratch, { recursive: true, force: true });
      }
    });
  });
}
