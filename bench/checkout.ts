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
import { openDatabase } from '../src/db/index.js';
import { Client } from '../test/helpers/browser-client.js';
import { buyOnce as buy, checkBooks } from './buyer.js';
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
  return (await buy(new Client(shopUrl), { pspUrl, productPath: '/products/mamori-monaka', variantId, email: `bench${n}@example.jp` })) === 'paid';
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
    const shopDb = openDatabase({ databaseUrl: null, dataDir }).db;
    const variant = await shopDb.selectFrom('variants').select('id').where('sku', '=', 'WG-MNK-5').executeTakeFirstOrThrow();
    await shopDb.updateTable('variants').set({ stock: 1_000_000 }).where('id', '=', variant.id).execute();
    const stockBefore = 1_000_000;

    // Warm-up: a few purchases.
    for (let i = 0; i < 3; i++) await buyOnce(shop.url, pspUrl, variant.id, -1 - i);
    const warmOrders = (await shopDb.selectFrom('orders').select('id').where('payment_status', '=', 'paid').execute()).length;

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
    const books = await checkBooks({ db: shopDb, pspDbFile: join(dataDir, 'psp', 'psp.sqlite'), stockBefore: new Map([[variant.id, stockBefore]]) });
    const mails = { n: (await shopDb.selectFrom('outbox').select('id').where('kind', '=', 'order_confirmation').execute()).length };
    const { sold, after: stockAfter } = books.stock[0]!;
    await shopDb.destroy();

    const rows = [
      ['Completed card checkouts', `${completed} in ${elapsed.toFixed(1)} s (${buyers} concurrent buyers)`],
      ['Checkouts per second', perSecond.toFixed(1)],
      ['Failed buyer runs', String(failed)],
      ['Provider payments paid / shop orders paid', `${books.pspPaid} / ${books.shopPaid} (incl. ${warmOrders} warm-up)`],
      ['Lost (paid at provider, not in shop)', String(books.lost)],
      ['Doubly charged orders', String(books.doubleCharged)],
      ['Orders paid without a provider payment', String(books.paidWithoutPayment)],
      ['Orders with more than one paid event', String(books.multiPaidEvents)],
      ['Confirmation mails queued', String(mails.n)],
      ['Stock: before − sold = after', `${stockBefore} − ${sold} = ${stockBefore - sold} (actual ${stockAfter})`],
    ];
    const booksOk = books.ok && mails.n === books.shopPaid;
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
