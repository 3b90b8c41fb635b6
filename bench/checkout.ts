/**
 * `npm run bench` (second part): end-to-end card checkouts per second through the sandbox payment
 * provider on loopback, on SQLite. Virtual buyers run the whole path a person takes — product page,
 * add to cart, checkout form, confirmation, place the order, the provider's hosted page, pay with a
 * test card, back to the shop's thank-you page — for a fixed time; then the books are checked:
 * every payment the provider took is one paid order in the shop, none lost, none doubled.
 *
 *   BENCH_CHECKOUT_DURATION=<s>   measuring time (default 15)
 *   BENCH_CHECKOUT_BUYERS=<n>     concurrent buyers (default 24)
 *   BENCH_NO_WRITE=1              print only
 *   BENCH_PROFILE_OUT=<file>      CPU-profile the shop process during the measured run and print
 *                                 where the time goes (as bench/profile.ts does for pages)
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client, guestForm } from '../test/helpers/browser-client.js';
import { killAllChildren, startChild } from './child.js';
import { summarise, type CpuProfile } from './profile-summary.js';
import { writeSection } from './report.js';
import { readFileSync } from 'node:fs';

const ROOT = join(import.meta.dirname, '..');
const DOC = join(ROOT, 'docs', 'performance.md');
const START = '<!-- bench:checkout:start -->';
const END = '<!-- bench:checkout:end -->';
const TARGET = 200;

async function buyOnce(shopUrl: string, pspUrl: string, variantId: string, n: number): Promise<boolean> {
  const c = new Client(shopUrl);
  await c.get('/products/mamori-monaka');
  await c.post('/cart/add', { variant_id: variantId, quantity: '1' });
  await c.get('/checkout');
  const confirm = await c.post('/checkout/confirm', guestForm({ payment_method: 'card', orderer_email: `bench${n}@example.jp` }));
  if (confirm.status !== 200) return false;
  const psp = await c.request('/checkout/place', { form: c.hiddenFields('/checkout/place') });
  const m = /<form method="post" action="(\/pay\/[^"]+)"/.exec(psp.html);
  if (!m) return false;
  const done = await c.request(new URL(m[1]!, pspUrl).href, { form: { cardNumber: '4242424242424242', expiry: '12/30', cvc: '123', name: 'BENCH BUYER' } });
  return done.status === 200 && done.html.includes('ご注文ありがとうございました');
}

async function main(): Promise<number> {
  const duration = Number(process.env.BENCH_CHECKOUT_DURATION ?? '15');
  const buyers = Number(process.env.BENCH_CHECKOUT_BUYERS ?? '24');
  const profileOut = process.env.BENCH_PROFILE_OUT;
  let profileWritten: (() => void) | null = null;
  const shop = await startChild({
    name: 'shop', script: join(ROOT, 'bench', 'shop-server.ts'), cwd: ROOT,
    env: { LOG_LEVEL: 'warn', MAMORI_WORKERS: '1', ...(profileOut ? { BENCH_PROFILE_FILE: profileOut } : {}) },
    onMessage: (msg) => {
      if (msg.bench === 'profile') profileWritten?.();
    },
  });
  try {
    const dataDir = String(shop.info.dataDir);
    const pspUrl = String(shop.info.pspUrl);
    const shopDb = new Database(join(dataDir, 'mamori.sqlite'));
    shopDb.pragma('busy_timeout = 5000');
    const variant = shopDb.prepare("select id from variants where sku = 'WG-MNK-5'").get() as { id: string };
    shopDb.prepare('update variants set stock = 1000000 where id = ?').run(variant.id);
    const stockBefore = 1_000_000;

    // Warm-up: a few purchases.
    for (let i = 0; i < 3; i++) await buyOnce(shop.url, pspUrl, variant.id, -1 - i);
    const warmOrders = (shopDb.prepare("select count(*) n from orders where payment_status = 'paid'").get() as { n: number }).n;

    let completed = 0;
    let failed = 0;
    let seq = 0;
    if (profileOut) process.kill(shop.pid, 'SIGUSR2');
    const started = Date.now();
    const until = started + duration * 1000;
    const loadBefore = loadavg()[0] ?? 0;
    await Promise.all(
      Array.from({ length: buyers }, async () => {
        while (Date.now() < until) {
          try {
            if (await buyOnce(shop.url, pspUrl, variant.id, seq++)) completed++;
            else failed++;
          } catch {
            failed++;
          }
        }
      }),
    );
    const elapsed = (Date.now() - started) / 1000;
    const perSecond = completed / elapsed;
    if (profileOut) {
      const written = new Promise<void>((resolve) => (profileWritten = resolve));
      process.kill(shop.pid, 'SIGUSR2');
      await written;
      console.log(summarise(JSON.parse(readFileSync(profileOut, 'utf8')) as CpuProfile, Number(process.env.BENCH_PROFILE_TOP ?? '40')));
    }

    // Let webhooks and mail settle, then check the books.
    await new Promise((r) => setTimeout(r, 3000));
    const pspDb = new Database(join(dataDir, 'psp', 'psp.sqlite'), { readonly: true });
    const pspPaid = pspDb.prepare("select id, order_reference as ref from payments where status = 'paid'").all() as { id: string; ref: string }[];
    const shopPaidOrders = shopDb.prepare("select id from orders where payment_status = 'paid'").all() as { id: string }[];
    const paidEvents = shopDb.prepare("select order_id, count(*) n from order_events where type = 'paid' group by order_id having count(*) > 1").all();
    const mails = shopDb.prepare("select count(*) n from outbox where kind = 'order_confirmation'").get() as { n: number };
    const sold = (shopDb.prepare('select coalesce(sum(quantity), 0) n from order_lines l join orders o on o.id = l.order_id where l.variant_id = ? and o.stock_released = 0').get(variant.id) as { n: number }).n;
    const stockAfter = (shopDb.prepare('select stock from variants where id = ?').get(variant.id) as { stock: number }).stock;
    const shopIds = new Set(shopPaidOrders.map((o) => o.id));
    const lost = pspPaid.filter((p) => !shopIds.has(p.ref)).length;
    const pspRefs = new Map<string, number>();
    for (const p of pspPaid) pspRefs.set(p.ref, (pspRefs.get(p.ref) ?? 0) + 1);
    const doubleCharged = [...pspRefs.values()].filter((n) => n > 1).length;
    const paidWithoutPayment = shopPaidOrders.filter((o) => !pspRefs.has(o.id)).length;
    pspDb.close();
    shopDb.close();

    const rows = [
      ['Completed card checkouts', `${completed} in ${elapsed.toFixed(1)} s (${buyers} concurrent buyers)`],
      ['Checkouts per second', perSecond.toFixed(1)],
      ['Failed buyer runs', String(failed)],
      ['Provider payments paid / shop orders paid', `${pspPaid.length} / ${shopPaidOrders.length} (incl. ${warmOrders} warm-up)`],
      ['Lost (paid at provider, not in shop)', String(lost)],
      ['Doubly charged orders', String(doubleCharged)],
      ['Orders paid without a provider payment', String(paidWithoutPayment)],
      ['Orders with more than one paid event', String(paidEvents.length)],
      ['Confirmation mails queued', String(mails.n)],
      ['Stock: before − sold = after', `${stockBefore} − ${sold} = ${stockBefore - sold} (actual ${stockAfter})`],
    ];
    const booksOk = lost === 0 && doubleCharged === 0 && paidWithoutPayment === 0 && paidEvents.length === 0 && stockBefore - sold === stockAfter && mails.n === shopPaidOrders.length;
    const verdict = perSecond >= TARGET ? 'PASS' : 'MISS';
    console.log(rows.map(([k, v]) => `${(k ?? '').padEnd(45)} ${v}`).join('\n'));
    console.log(`${verdict}  ≥ ${TARGET} completed card orders/s on SQLite: ${perSecond.toFixed(1)}`);
    console.log(`${booksOk ? 'PASS' : 'FAIL'}  books: nothing lost, nothing doubled, stock consistent`);
    const section = [
      START,
      '## Card checkouts through the sandbox provider (`npm run bench`, second part)',
      '',
      'Virtual buyers take the whole path over HTTP (product page, add to cart, checkout form, confirmation, place',
      'the order, the provider\'s hosted page on its own port, pay with 4242…, back to the thank-you page). The',
      'shop (SQLite, workers on) and the sandbox provider run in one child process; the buyers in the parent.',
      '',
      `- Date: ${new Date().toISOString()}; Node ${process.version}; ${cpus().length} CPU cores; load average ${loadBefore.toFixed(2)} before`,
      '',
      '| Measure | Value |',
      '|---|---|',
      ...rows.map(([k, v]) => `| ${k} | ${v} |`),
      `| Target ≥ ${TARGET} completed card orders/s | ${verdict} |`,
      `| Books check | ${booksOk ? 'PASS' : 'FAIL'} |`,
      END,
    ].join('\n');
    if (process.env.BENCH_NO_WRITE !== '1') writeSection(DOC, section, START, END);
    return booksOk ? 0 : 1;
  } finally {
    await shop.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`bench checkout: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    killAllChildren('SIGTERM');
    process.exitCode = 1;
  },
);
