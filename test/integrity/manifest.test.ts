import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { releaseCommand } from '../../src/integrity/cli.js';
import {
  buildManifest, canonicalJson, generateReleaseKeys, loadPrivateKey, loadPublicKey, readRelease, signManifest, verifyManifestSignature, verifyRelease, writeRelease,
} from '../../src/integrity/manifest.js';
import { classifyChange, isIgnoredPath, MissingPackagesError, releaseRoots } from '../../src/integrity/paths.js';
import { IntegrityStartError, verifyAtStart } from '../../src/integrity/startup.js';
import { makeProjectTree, writeTree } from './helpers.js';

const cleanup: string[] = [];
after(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

async function signedTree(opts: { dist?: boolean } = {}) {
  const root = makeProjectTree(opts);
  const keys = mkdtempSync(join(tmpdir(), 'mamori-keys-'));
  cleanup.push(root, keys);
  const k = await generateReleaseKeys(keys);
  const runtime = opts.dist ? 'dist' : 'src';
  const { roots } = releaseRoots(root, runtime);
  const manifest = await buildManifest(root, runtime, roots);
  await writeRelease(join(root, 'release'), manifest, signManifest(manifest, loadPrivateKey(k.privateFile)));
  return { root, keys, k, manifest, publicKey: loadPublicKey(k.publicFile) };
}

describe('release manifest', () => {
  test('covers sources, static assets, bin, package files and production packages only; sorted; canonical', async () => {
    const { manifest, root } = await signedTree();
    const paths = Object.keys(manifest.files);
    assert.deepEqual(paths, [...paths].sort());
    for (const p of ['bin/mamori.js', 'package-lock.json', 'package.json', 'psp/server.ts', 'src/payments/service.ts', 'src/web/static/js/shop.js',
      'node_modules/prodpkg/index.js', 'node_modules/prodpkg/.npmignore', 'node_modules/prodpkg/node_modules/nested/index.js']) {
      assert.ok(paths.includes(p), `${p} is in the manifest`);
    }
    assert.ok(!paths.some((p) => p.startsWith('node_modules/devpkg')), 'dev packages are not');
    assert.ok(!paths.some((p) => p.startsWith('docs/') || p.startsWith('release/')), 'docs and the release directory are not');
    for (const h of Object.values(manifest.files)) assert.match(h, /^[0-9a-f]{64}$/);
    const r = releaseRoots(root, 'src');
    assert.deepEqual(r.skippedOptional, ['node_modules/@scope/native-other-os'], 'a missing optional package is listed, not hidden');
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
    // The manifest on disk parses back to the same canonical bytes that were signed.
    assert.equal(canonicalJson(readRelease(join(root, 'release')).manifest), canonicalJson(manifest));
  });

  test('a production package that is not installed is an error, not a silent gap', async () => {
    const root = makeProjectTree();
    cleanup.push(root);
    rmSync(join(root, 'node_modules/prodpkg/node_modules/nested'), { recursive: true });
    assert.throws(() => releaseRoots(root, 'src'), (e: unknown) => e instanceof MissingPackagesError && e.missing.includes('node_modules/prodpkg/node_modules/nested'));
  });

  test('verify: a valid tree passes; a changed, an added and a removed file are each listed by name', async () => {
    const { root, publicKey } = await signedTree();
    const ok = await verifyRelease({ root, releaseDir: join(root, 'release'), publicKey });
    assert.equal(ok.ok, true);

    appendFileSync(join(root, 'src/payments/service.ts'), '// skimmer\n');
    writeTree(root, { 'src/app/shell.js': 'eval(process.env.X)\n' });
    rmSync(join(root, 'node_modules/prodpkg/index.js'));
    const bad = await verifyRelease({ root, releaseDir: join(root, 'release'), publicKey });
    assert.equal(bad.ok, false);
    assert.ok(!bad.ok && bad.reason === 'tampered' && bad.diff);
    if (bad.ok || !bad.diff) return;
    assert.deepEqual(bad.diff.modified.map((c) => c.path), ['src/payments/service.ts']);
    assert.deepEqual(bad.diff.added.map((c) => c.path), ['src/app/shell.js']);
    assert.deepEqual(bad.diff.removed.map((c) => c.path), ['node_modules/prodpkg/index.js']);
    assert.notEqual(bad.diff.modified[0]!.expected, bad.diff.modified[0]!.actual);
    assert.match(bad.message, /changed \(1\): src\/payments\/service\.ts/);
    assert.match(bad.message, /added \(1\): src\/app\/shell\.js/);
    assert.match(bad.message, /removed \(1\): node_modules\/prodpkg\/index\.js/);
  });

  test('a signature made with another key, or a manifest edited after signing, fails', async () => {
    const { root, manifest } = await signedTree();
    const other = mkdtempSync(join(tmpdir(), 'mamori-keys-other-'));
    cleanup.push(other);
    const o = await generateReleaseKeys(other);
    const wrong = await verifyRelease({ root, releaseDir: join(root, 'release'), publicKey: loadPublicKey(o.publicFile) });
    assert.ok(!wrong.ok && wrong.reason === 'bad_signature');

    // Re-signing with the wrong key does not help either.
    await writeRelease(join(root, 'release'), manifest, signManifest(manifest, loadPrivateKey(o.privateFile)));
    const pub = loadPublicKey(join(cleanup.find((d) => d.includes('mamori-keys-') && d !== other)!, 'release-public.pem'));
    assert.equal(verifyManifestSignature(manifest, readFileSync(join(root, 'release/manifest.sig'), 'utf8'), pub), false);

    // An attacker who edits a hash in manifest.json to match a changed file breaks the signature.
    const { root: root2, publicKey } = await signedTree();
    appendFileSync(join(root2, 'src/payments/service.ts'), '// skimmer\n');
    const mf = join(root2, 'release/manifest.json');
    const m = JSON.parse(readFileSync(mf, 'utf8')) as { files: Record<string, string> };
    m.files['src/payments/service.ts'] = '0'.repeat(64);
    writeFileSync(mf, JSON.stringify(m));
    const edited = await verifyRelease({ root: root2, releaseDir: join(root2, 'release'), publicKey });
    assert.ok(!edited.ok && edited.reason === 'bad_signature');
  });

  test('dist runtime: covers dist/ and the static sources, not the TypeScript sources', async () => {
    const { manifest } = await signedTree({ dist: true });
    const paths = Object.keys(manifest.files);
    assert.ok(paths.includes('dist/src/app/cli.js') && paths.includes('dist/psp/server.js'));
    assert.ok(paths.includes('src/web/static/js/shop.js') && paths.includes('src/admin/static/admin.js'));
    assert.ok(!paths.includes('src/payments/service.ts'));
    assert.deepEqual(manifest.roots.filter((r) => !r.startsWith('node_modules/')), ['bin', 'dist', 'package-lock.json', 'package.json', 'src/admin/static', 'src/web/static']);
  });

  test("editors' temporary files are ignored in the sources only; nothing under dist/ or static", () => {
    for (const p of ['src/payments/.service.ts.swp', 'src/app/4913', 'src/app/cli.ts~', 'src/app/.#cli.ts', 'psp/#server.ts#', 'src/x.ts___jb_tmp___']) assert.equal(isIgnoredPath(p), true, p);
    for (const p of ['dist/src/payments/.service.js.swp', 'dist/src/app/cli.js~', 'src/web/static/js/shop.js~', 'node_modules/a/b~', 'src/.shell.js', 'src/app/.env', 'bin/x~']) assert.equal(isIgnoredPath(p), false, p);
  });

  test('classification of changes', () => {
    assert.deepEqual(classifyChange('src/payments/service.ts', 'modified'), { severity: 'critical', kind: 'payment_code_changed' });
    assert.deepEqual(classifyChange('dist/src/payments/service.js', 'removed'), { severity: 'critical', kind: 'payment_code_changed' });
    assert.deepEqual(classifyChange('psp/server.ts', 'added'), { severity: 'critical', kind: 'payment_code_changed' });
    assert.deepEqual(classifyChange('src/web/static/js/shop.js', 'modified'), { severity: 'critical', kind: 'payment_code_changed' });
    assert.deepEqual(classifyChange('src/checkout/views.tsx', 'modified'), { severity: 'critical', kind: 'payment_code_changed' });
    assert.deepEqual(classifyChange('src/catalog/shell.php', 'added'), { severity: 'critical', kind: 'file_added' });
    assert.deepEqual(classifyChange('node_modules/fastify/fastify.js', 'modified'), { severity: 'critical', kind: 'code_changed' });
    assert.deepEqual(classifyChange('src/web/static/css/shop.css', 'modified'), { severity: 'warning', kind: 'file_changed' });
    assert.deepEqual(classifyChange('node_modules/fastify/README.md', 'removed'), { severity: 'warning', kind: 'file_changed' });
  });
});

describe('release CLI', () => {
  test('keygen (0600 private key, refuses to overwrite), sign, verify; verify fails after tampering', async () => {
    const root = makeProjectTree();
    const keys = mkdtempSync(join(tmpdir(), 'mamori-cli-keys-'));
    cleanup.push(root, keys);
    const quiet = silenceOutput();
    try {
      assert.equal(await releaseCommand(['keygen', '--out', keys], { io: quiet.io }), 0);
      assert.equal(statSync(join(keys, 'release-private.pem')).mode & 0o777, 0o600);
      assert.equal(await releaseCommand(['keygen', '--out', keys], { io: quiet.io }), 1, 'an existing private key is not overwritten');
      assert.equal(await releaseCommand(['sign', '--key', join(keys, 'release-private.pem'), '--root', root], { io: quiet.io }), 0);
      assert.equal(await releaseCommand(['verify', '--public-key', join(keys, 'release-public.pem'), '--root', root], { io: quiet.io }), 0);
      appendFileSync(join(root, 'src/checkout/views.tsx'), '<script src="https://evil.example/s.js"></script>\n');
      assert.equal(await releaseCommand(['verify', '--public-key', join(keys, 'release-public.pem'), '--root', root], { io: quiet.io }), 1);
      assert.match(quiet.stdout(), /changed {2}src\/checkout\/views\.tsx {2}expected [0-9a-f]{64} {2}actual [0-9a-f]{64}/);
      assert.equal(await releaseCommand(['sign', '--root', root], { io: quiet.io }), 2, '--key is required');
      assert.equal(await releaseCommand(['sign', '--key', join(keys, 'release-private.pem'), '--root', root, '--out', join(root, 'src/release')], { io: quiet.io }), 2, 'the release cannot be written inside the covered files');
      // A group-readable private key is used, with a warning.
      chmodSync(join(keys, 'release-private.pem'), 0o640);
      assert.equal(await releaseCommand(['sign', '--key', join(keys, 'release-private.pem'), '--root', root], { io: quiet.io }), 0);
      assert.match(quiet.stdout(), /is readable by other users/);
    } finally {
      quiet.restore();
    }
  });
});

describe('start-up verification', () => {
  test('production refuses to start from tampered files and names them; development warns and returns the manifest', async () => {
    const { root, k } = await signedTree();
    const ok = await verifyAtStart({ production: true, root, publicKeyFile: k.publicFile, runtime: 'src', logger: silent, expectedKeyFingerprint: k.fingerprint });
    assert.equal(ok.status, 'verified');
    assert.ok(ok.manifest);

    appendFileSync(join(root, 'src/payments/service.ts'), '// skimmer\n');
    writeTree(root, { 'src/catalog/shell.js': 'x' });
    await assert.rejects(verifyAtStart({ production: true, root, publicKeyFile: k.publicFile, runtime: 'src', logger: silent }), (e: unknown) => {
      assert.ok(e instanceof IntegrityStartError);
      assert.match(e.message, /^Refusing to start: files differ from the signed release manifest/);
      assert.match(e.message, /src\/payments\/service\.ts/);
      assert.match(e.message, /src\/catalog\/shell\.js/);
      return true;
    });
    const dev = await verifyAtStart({ production: false, root, publicKeyFile: k.publicFile, runtime: 'src', logger: silent });
    assert.equal(dev.status, 'tampered');
    assert.ok(dev.manifest, 'the signed manifest is still what the watcher compares against');
    assert.deepEqual(dev.diff?.modified.map((c) => c.path), ['src/payments/service.ts']);
  });

  test('production refuses a missing key, a missing manifest, a bad signature and a manifest for other code', async () => {
    const { root, k } = await signedTree();
    await assert.rejects(verifyAtStart({ production: true, root, publicKeyFile: join(root, 'nope.pem'), runtime: 'src', logger: silent }), /Refusing to start: no release public key/);
    await assert.rejects(verifyAtStart({ production: true, root, publicKeyFile: k.publicFile, runtime: 'dist', logger: silent }), /made for the TypeScript sources, but the shop runs from dist/);
    writeFileSync(join(root, 'release/manifest.sig'), Buffer.alloc(64, 1).toString('base64'));
    await assert.rejects(verifyAtStart({ production: true, root, publicKeyFile: k.publicFile, runtime: 'src', logger: silent }), /signature does not verify/);
    await assert.rejects(
      verifyAtStart({ production: true, root, publicKeyFile: k.publicFile, runtime: 'src', logger: silent, expectedKeyFingerprint: 'SHA256:' + 'A'.repeat(43) }),
      /not the expected SHA256:A+ \(MAMORI_RELEASE_KEY_FINGERPRINT\)/,
    );
    const dev = await verifyAtStart({ production: false, root, publicKeyFile: k.publicFile, runtime: 'src', logger: silent });
    assert.equal(dev.status, 'bad_signature');
    assert.equal(dev.manifest, null, 'an unverifiable manifest is not used: the watcher takes a baseline');
    rmSync(join(root, 'release/manifest.json'));
    await assert.rejects(verifyAtStart({ production: true, root, publicKeyFile: k.publicFile, runtime: 'src', logger: silent }), /No release manifest/);
  });
});

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

function silenceOutput() {
  const lines: string[] = [];
  return { io: { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) }, stdout: () => lines.join('\n'), restore: () => undefined };
}
