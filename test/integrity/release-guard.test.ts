import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { buildManifest, generateReleaseKeys, loadPrivateKey, loadPublicKey, signManifest, writeRelease } from '../../src/integrity/manifest.js';
import { releaseRoots } from '../../src/integrity/paths.js';
import { startReleaseGuard, type ReleaseGuard } from '../../src/integrity/release-guard.js';
import { makeProjectTree, RecordingAlerts } from './helpers.js';

const cleanup: string[] = [];
const guards: ReleaseGuard[] = [];
after(async () => {
  for (const g of guards) await g.close();
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

async function setup() {
  const root = makeProjectTree();
  const keys = mkdtempSync(join(tmpdir(), 'mamori-guard-keys-'));
  const other = mkdtempSync(join(tmpdir(), 'mamori-guard-other-'));
  cleanup.push(root, keys, other);
  const k = await generateReleaseKeys(keys);
  const o = await generateReleaseKeys(other);
  const roots = releaseRoots(root, 'src').roots;
  const m = await buildManifest(root, 'src', roots);
  const releaseDir = join(root, 'release');
  await writeRelease(releaseDir, m, signManifest(m, loadPrivateKey(k.privateFile)));
  copyFileSync(k.publicFile, join(releaseDir, 'release-public.pem'));
  const alerts = new RecordingAlerts();
  const guard = await startReleaseGuard({ alerts, releaseDir, publicKey: loadPublicKey(k.publicFile), publicKeyFile: join(releaseDir, 'release-public.pem'), confirmDelayMs: 300, intervalMs: 0 });
  guards.push(guard);
  return { root, releaseDir, k, o, m, alerts, guard, roots };
}

describe('release guard (the trust anchor while running)', () => {
  test('an attacker swapping in their own public key and manifest is a critical manifest_failure within 5 s', async () => {
    const { releaseDir, o, root, roots, alerts } = await setup();
    const t0 = Date.now();
    const m2 = await buildManifest(root, 'src', roots);
    await writeRelease(releaseDir, m2, signManifest(m2, loadPrivateKey(o.privateFile)));
    copyFileSync(o.publicFile, join(releaseDir, 'release-public.pem'));
    const a = await alerts.waitFor((x) => x.kind === 'manifest_failure');
    console.log(`# release key swapped → alert in ${a.at - t0} ms`);
    assert.ok(a.at - t0 <= 5000);
    assert.equal(a.severity, 'critical');
    assert.match(a.message, /公開鍵ファイルが差し替えられました/);
  });

  test('a manifest that no longer verifies is alerted; a validly re-signed one (a deployment) is not', async () => {
    const { releaseDir, k, root, roots, alerts, guard } = await setup();
    const m2 = await buildManifest(root, 'src', roots);
    await writeRelease(releaseDir, m2, signManifest(m2, loadPrivateKey(k.privateFile)));
    assert.equal(await guard.check(), null);
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(alerts.raised.length, 0);
    writeFileSync(join(releaseDir, 'manifest.sig'), `${Buffer.alloc(64, 7).toString('base64')}\n`);
    const a = await alerts.waitFor((x) => x.kind === 'manifest_failure');
    assert.match(a.message, /検証できなくなりました/);
  });
});
