import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { checkScriptInventory, liveScriptHash, renderPaymentPath } from '../../src/integrity/payment-pages.js';
import {
  checkPagesAgainstInventory, extractScripts, inventoryStatus, newInventoryEntry, parseScriptInventory, scriptInventory, sri384,
  type RenderedPage, type ScriptInventory,
} from '../../src/integrity/script-inventory.js';
import { staticFile } from '../../src/web/assets.js';

/**
 * PCI DSS 6.4.3 script inventory: the payment-path pages as rendered by a throw-away shop, compared
 * with src/integrity/script-inventory.json — the same check `npm run build` runs.
 *
 *   node --import tsx --test test/integrity/script-inventory.test.ts
 */

const run = promisify(execFile);
const ORIGIN = 'http://shop.invalid';
const check = (pages: RenderedPage[], inv: ScriptInventory) => checkPagesAgainstInventory(pages, inv, { shopOrigin: ORIGIN, fileHash: liveScriptHash });
const withHash = (inv: ScriptInventory, path: string, sha384: string): ScriptInventory => ({ ...inv, scripts: inv.scripts.map((s) => (s.path === path ? { ...s, sha384 } : s)) });
const OTHER_HASH = sri384('console.log("not the approved file")');

describe('payment-page script inventory', () => {
  let pages: RenderedPage[];
  before(async () => {
    pages = await renderPaymentPath();
  });

  test('every kind of payment-path page is rendered, and every script on it is approved with its hash', () => {
    const names = pages.map((p) => p.name);
    for (const kind of ['product', 'cart', 'checkout form', 'checkout form with errors', 'checkout confirmation', 'payment step', 'thank-you page']) {
      assert.ok(names.includes(kind), `${kind} rendered (got ${names.join(', ')})`);
    }
    for (const p of pages) {
      const scripts = extractScripts(p.html);
      assert.ok(scripts.length >= 1, `${p.name}: the storefront script is there (the check is not vacuous)`);
      for (const s of scripts) {
        assert.ok(s.src?.startsWith('/static/js/shop.js?v='), `${p.name}: ${s.src}`);
        assert.equal(s.integrity, scriptInventory().scripts[0]!.sha384);
        assert.equal(s.crossorigin, 'anonymous');
      }
    }
    assert.deepEqual(check(pages, scriptInventory()), []);
  });

  test('an unlisted script, a listed script with another hash, and a missing entry are each reported by name', () => {
    const empty = { ...scriptInventory(), scripts: [] };
    const missing = check(pages, empty);
    assert.ok(missing.length >= pages.length);
    assert.ok(missing.every((p) => p.script === '/static/js/shop.js' && /not in the script inventory/.test(p.problem)));

    const changed = check(pages, withHash(scriptInventory(), '/static/js/shop.js', OTHER_HASH));
    assert.ok(changed.some((p) => p.script === '/static/js/shop.js' && /integrity attribute .* differs/.test(p.problem)));
    assert.ok(changed.some((p) => p.script === '/static/js/shop.js' && /file src\/web\/static\/js\/shop\.js has hash/.test(p.problem)), 'the file on disk is compared too');
  });

  test('a script added to the checkout template fails the check, naming the script and the page', async () => {
    const result = await checkScriptInventory({
      tamper: (app) => {
        // What a skimmer does to a template: one more <script> (even with SRI and crossorigin).
        app.addHook('onSend', async (req, reply, payload) => {
          if (req.url !== '/checkout' || typeof payload !== 'string' || !String(reply.getHeader('content-type')).startsWith('text/html')) return payload;
          return payload.replace('</head>', `<script src="https://cdn.evil.example/jquery.min.js" integrity="${OTHER_HASH}" crossorigin="anonymous"></script></head>`);
        });
      },
    });
    assert.deepEqual(result.problems.map((p) => [p.page, p.script]), [['checkout form', 'https://cdn.evil.example/jquery.min.js']]);
    assert.match(result.problems[0]!.problem, /not in the script inventory/);
  });

  test('an inline script on the payment step fails the check', async () => {
    const result = await checkScriptInventory({
      tamper: (app) => {
        app.addHook('onSend', async (req, _reply, payload) => {
          if (!/^\/orders\/[^/]+\/pay/.test(req.url) || typeof payload !== 'string') return payload;
          return payload.replace('</body>', '<script>document.forms[0].addEventListener("submit",()=>{})</script></body>');
        });
      },
    });
    assert.equal(result.problems.length, 1);
    assert.equal(result.problems[0]!.page, 'payment step');
    assert.match(result.problems[0]!.problem, /inline script/);
  });

  test('the build step: exit 0 with the approved inventory, exit 1 naming the script when its hash differs', async () => {
    const ok = await run(process.execPath, ['--import', 'tsx', 'scripts/check-script-inventory.ts'], { cwd: process.cwd() });
    assert.match(ok.stdout, /payment-path pages checked, every script is listed/);
    const dir = mkdtempSync(join(tmpdir(), 'mamori-inv-'));
    try {
      const file = join(dir, 'inventory.json');
      writeFileSync(file, JSON.stringify(withHash(scriptInventory(), '/static/js/shop.js', OTHER_HASH)));
      const failed = await run(process.execPath, ['--import', 'tsx', 'scripts/check-script-inventory.ts', '--inventory', file], { cwd: process.cwd() }).then(
        () => assert.fail('the check passed with a wrong hash'),
        (err: { code: number; stderr: string }) => err,
      );
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, /script inventory check FAILED/);
      assert.match(failed.stderr, /\/static\/js\/shop\.js on checkout form/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the entry command prints an entry with the file\'s SRI; the admin status compares live hashes', async () => {
    const printed = await run(process.execPath, [
      '--import', 'tsx', 'scripts/check-script-inventory.ts', 'entry', 'src/web/static/js/shop.js', '--path', '/static/js/shop.js',
      '--purpose', 'Storefront enhancements (test)', '--justification', 'Usability only (test)', '--pages', 'checkout form, payment step', '--approved-by', 'Test Approver',
    ]);
    const entry = JSON.parse(printed.stdout) as ReturnType<typeof newInventoryEntry>;
    assert.equal(entry.sha384, sri384(readFileSync('src/web/static/js/shop.js')));
    assert.deepEqual(entry.pages, ['checkout form', 'payment step']);
    assert.equal(entry.approvedBy, 'Test Approver');

    const status = inventoryStatus(scriptInventory(), staticFile);
    assert.equal(status.length, 1);
    assert.equal(status[0]!.matches, true);
    assert.equal(status[0]!.liveSha384, scriptInventory().scripts[0]!.sha384);
    const wrong = inventoryStatus(withHash(scriptInventory(), '/static/js/shop.js', OTHER_HASH), staticFile);
    assert.equal(wrong[0]!.matches, false);
  });

  test('inventory validation refuses duplicates and malformed hashes', () => {
    const inv = scriptInventory();
    assert.throws(() => parseScriptInventory({ ...inv, scripts: [...inv.scripts, ...inv.scripts] }), /twice/);
    assert.throws(() => parseScriptInventory({ ...inv, scripts: [{ ...inv.scripts[0], sha384: 'sha256-abc' }] }), /sha384/);
  });

  test('extractScripts finds every way HTML runs script', () => {
    const found = extractScripts(`
      <script src="/a.js" integrity="sha384-x" crossorigin="anonymous"></script>
      <script>alert(1)</script>
      <script type="application/ld+json">{"@type":"Product"}</script>
      <script type="module" src="https://x.example/m.js"></script>
      <link rel="modulepreload" href="/m2.js"><link rel="preload" as="script" href="/p.js"><link rel="stylesheet" href="/s.css">
      <img src=x onerror="steal()"><a href="javascript:steal()">x</a><p>onclick= is only text here</p>`);
    assert.deepEqual(found.map((s) => [s.kind, s.src]), [
      ['script', '/a.js'], ['script', null], ['script', 'https://x.example/m.js'], ['link', '/m2.js'], ['link', '/p.js'],
      ['event-handler', null], ['javascript-url', null],
    ]);
  });
});

