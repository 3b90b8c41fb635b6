/**
 * `npm run loadtest [-- --faults] [-- --only=baseline,sqlite1,pg2,faults]`: mixed traffic against the
 * shop for a fixed time, then the books.
 *
 * Virtual users (in this process) load pages as a browser without JavaScript would: 90 % of their
 * actions browse (product, category and listing pages), 8 % put something in a new cart, 2 % buy by
 * card through the sandbox provider (bench/buyer.ts). Targets, each in their own processes, all in one
 * run so the ratios compare like with like:
 *   baseline  bench/baseline-server.ts (raw Fastify, a static page of the product page's size),
 *             browsed by the same virtual users;
 *   sqlite1   `mamori cluster` with 1 shop process on SQLite;
 *   pg2       `mamori cluster` with 2 shop processes on PostgreSQL (a throw-away server of its own,
 *             bench/pg-throwaway.ts);
 *   faults    pg2 again while: one shop process is killed with SIGKILL every few seconds (the
 *             supervisor starts a new one), the PostgreSQL server is restarted once, and the mail
 *             server answers 451 (temporary) to every mail for a while.
 * The shops send mail over SMTP to a real SMTP server in this process (test/helpers/smtp-sink.ts).
 * After the load the run waits until the shop has caught up (webhooks, mail retries), then checks the
 * books: every payment the provider took is exactly one paid order; none lost, none doubled; stock
 * moved by exactly what was sold, never below zero; every paid order's confirmation delivered once.
 *
 * Environment: LOADTEST_DURATION (s per target, default 30), LOADTEST_FAULT_DURATION (default 45),
 * LOADTEST_USERS (concurrent virtual users, default 32), LOADTEST_KILL_EVERY (s, default 5),
 * LOADTEST_SMTP_4XX_SECONDS (default 8), LOADTEST_DRAIN_SECONDS (default 120), LOADTEST_SCARCE_STOCK (default 20),
 * LOADTEST_LOG_LEVEL (the shops' LOG_LEVEL, default fatal: a fault run makes many expected 500s), LOADTEST_NO_WRITE=1.
 * Results: printed, and written to docs/performance.md between the `bench:loadtest` markers.
 */
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openDatabase, type DbHandle } from '../src/db/index.js';
import { Client, type Page } from '../test/helpers/browser-client.js';
import { freePort } from '../test/helpers/shop.js';
import { startSmtpSink } from '../test/helpers/smtp-sink.js';
import { buyOnce, checkBooks, messageIdOf, type Books, type BuyOutcome } from './buyer.js';
import { killAllChildren, startChild, type ServerChild } from './child.js';
import { findPgBin, startThrowawayPg, type ThrowawayPg } from './pg-throwaway.js';
import { writeSection } from './report.js';

const ROOT = join(import.meta.dirname, '..');
const DOC = join(ROOT, 'docs', 'performance.md');
const START = '<!-- bench:loadtest:start -->';
const END = '<!-- bench:loadtest:end -->';

export type TargetName = 'baseline' | 'sqlite1' | 'pg2' | 'faults';
type Kind = 'browse' | 'cart' | 'checkout';

export interface LoadOptions {
  durationSec: number;
  faultDurationSec: number;
  users: number;
  killEverySec: number;
  smtp4xxSec: number;
  drainSec: number;
  /** Stock of the scarce variant half the buyers want (it sells out: nothing may be oversold). */
  scarceStock: number;
}

export interface KindStats {
  pages: number;
  errors: number;
  p50: number;
  p99: number;
}

export interface FaultReport {
  kills: number;
  /** Worker exit → its replacement listening, ms. */
  workerRestartMs: number[];
  /** Longest run of failed health probes after a kill, ms (0: the other process answered throughout). */
  killOutageMs: number;
  pgRestartMs: number | null;
  /** PostgreSQL restart issued → the shop answering a database-backed request again, ms. */
  pgRecoverMs: number | null;
  smtp4xxMs: number;
  mailsDeferred: number;
  /** End of the 451 window → the last deferred mail delivered, ms. */
  mailRecoverMs: number | null;
}

export interface TargetResult {
  name: TargetName;
  label: string;
  processes: number;
  database: 'none' | 'sqlite' | 'postgres';
  durationSec: number;
  users: number;
  pagesPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  kinds: Record<Kind, KindStats>;
  checkouts: { paid: number; soldOut: number; failed: number; perSec: number };
  books: Books | null;
  /** Load end → the shop caught up (every provider payment in the shop, every mail delivered), ms. */
  settleMs: number | null;
  faults: FaultReport | null;
  loadBefore: number;
}

/**
 * A page load that has not finished after this long counts as an error and the user moves on, as a
 * person would. (A connection the `node:cluster` supervisor handed to a shop process at the moment it
 * was killed is never answered: see docs/operations-scale.md.)
 */
const PAGE_TIMEOUT_MS = 15_000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Latencies per page load (a POST and the redirect it answers with count as one page). */
class Recorder {
  readonly lat: Record<Kind, number[]> = { browse: [], cart: [], checkout: [] };
  readonly errors: Record<Kind, number> = { browse: 0, cart: 0, checkout: 0 };
  active = true;

  record(kind: Kind, ms: number, ok: boolean): void {
    if (!this.active) return;
    this.lat[kind].push(ms);
    if (!ok) this.errors[kind]++;
  }
}

/** A browser-like client whose every page load is timed and counted under the current kind. */
class TimedClient extends Client {
  kind: Kind = 'browse';
  constructor(
    base: string,
    private readonly rec: Recorder,
  ) {
    super(base);
  }

  override async request(path: string, init: Parameters<Client['request']>[1] = {}): Promise<Page> {
    const t0 = performance.now();
    try {
      const page = await withTimeout(super.request(path, init), PAGE_TIMEOUT_MS);
      this.rec.record(this.kind, performance.now() - t0, page.status < 500);
      return page;
    } catch (err) {
      this.rec.record(this.kind, performance.now() - t0, false);
      throw err;
    }
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function stats(values: number[], errors: number): KindStats {
  const s = [...values].sort((a, b) => a - b);
  return { pages: values.length, errors, p50: Math.round(percentile(s, 50)), p99: Math.round(percentile(s, 99)) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Catalog {
  browsePaths: string[];
  cartProducts: string[];
  main: { path: string; variantId: string };
  scarce: { path: string; variantId: string };
}

/** Drives the mixed traffic for `seconds`; returns the checkout outcomes. */
async function drive(url: string, pspUrl: string | null, catalog: Catalog, opts: { users: number; seconds: number; rec: Recorder; browseOnly: boolean }) {
  const outcomes: Record<BuyOutcome, number> = { paid: 0, sold_out: 0, failed: 0 };
  const until = Date.now() + opts.seconds * 1000;
  let seq = 0;
  const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
  await Promise.all(
    Array.from({ length: opts.users }, async () => {
      const browser = new TimedClient(url, opts.rec);
      while (Date.now() < until) {
        const r = opts.browseOnly ? 0 : Math.random();
        try {
          if (r < 0.9) {
            await browser.get(pick(catalog.browsePaths));
          } else if (r < 0.98) {
            const c = new TimedClient(url, opts.rec);
            c.kind = 'cart';
            const page = await c.get(pick(catalog.cartProducts));
            const variant = /name="variant_id" value="([^"]+)"/.exec(page.html)?.[1];
            if (variant) await c.post('/cart/add', { variant_id: variant, quantity: '1' });
          } else {
            const c = new TimedClient(url, opts.rec);
            c.kind = 'checkout';
            const target = Math.random() < 0.5 ? catalog.scarce : catalog.main;
            outcomes[await buyOnce(c, { pspUrl: pspUrl!, productPath: target.path, variantId: target.variantId, email: `load${seq++}@example.jp` })]++;
          }
        } catch {
          if (r >= 0.98) outcomes.failed++;
          // The page load itself was counted as an error; a moment before the next action.
          await sleep(50);
        }
      }
    }),
  );
  return outcomes;
}

async function discover(url: string, handle: DbHandle, scarceStock: number): Promise<{ catalog: Catalog; stockBefore: Map<string, number>; productBytes: number }> {
  const c = new Client(url);
  const listing = await c.get('/products');
  const products = [...new Set([...listing.html.matchAll(/href="(\/products\/[a-z0-9-]+)"/g)].map((m) => m[1]!))];
  const categories = [...new Set([...listing.html.matchAll(/href="(\/categories\/[a-z0-9-]+)"/g)].map((m) => m[1]!))];
  if (products.length === 0 || categories.length === 0) throw new Error('no product or category links on /products');
  const db = handle.db;
  const main = await db.selectFrom('variants').innerJoin('products', 'products.id', 'variants.product_id').select(['variants.id', 'products.slug']).where('variants.sku', '=', 'WG-MNK-5').executeTakeFirstOrThrow();
  const scarce = await db.selectFrom('variants').innerJoin('products', 'products.id', 'variants.product_id').select(['variants.id', 'products.slug']).where('variants.sku', '=', 'GT-GYO-50').executeTakeFirstOrThrow();
  await db.updateTable('variants').set({ stock: 1_000_000 }).where('id', '=', main.id).execute();
  await db.updateTable('variants').set({ stock: scarceStock }).where('id', '=', scarce.id).execute();
  const product = await c.get(products[0]!);
  // Product data is cached for 2 s: let the new stock show before the load starts.
  await sleep(2500);
  return {
    catalog: {
      browsePaths: ['/products', ...products, ...categories],
      cartProducts: products,
      main: { path: `/products/${main.slug}`, variantId: main.id },
      scarce: { path: `/products/${scarce.slug}`, variantId: scarce.id },
    },
    stockBefore: new Map([[main.id, 1_000_000], [scarce.id, scarceStock]]),
    productBytes: Buffer.byteLength(product.html),
  };
}

function summarise(name: TargetName, label: string, processes: number, database: TargetResult['database'], rec: Recorder, seconds: number, users: number, outcomes: Record<BuyOutcome, number> | null, loadBefore: number): TargetResult {
  const all = [...rec.lat.browse, ...rec.lat.cart, ...rec.lat.checkout].sort((a, b) => a - b);
  const errors = rec.errors.browse + rec.errors.cart + rec.errors.checkout;
  return {
    name, label, processes, database, durationSec: seconds, users,
    pagesPerSec: all.length / seconds,
    p50: Math.round(percentile(all, 50)),
    p99: Math.round(percentile(all, 99)),
    errors,
    kinds: { browse: stats(rec.lat.browse, rec.errors.browse), cart: stats(rec.lat.cart, rec.errors.cart), checkout: stats(rec.lat.checkout, rec.errors.checkout) },
    checkouts: { paid: outcomes?.paid ?? 0, soldOut: outcomes?.sold_out ?? 0, failed: outcomes?.failed ?? 0, perSec: (outcomes?.paid ?? 0) / seconds },
    books: null,
    settleMs: null,
    faults: null,
    loadBefore,
  };
}

export async function runBaseline(opts: LoadOptions, productBytes: number): Promise<TargetResult> {
  const child = await startChild({ name: 'baseline', script: join(ROOT, 'bench', 'baseline-server.ts'), args: [String(productBytes)], cwd: ROOT });
  try {
    const rec = new Recorder();
    const catalog: Catalog = { browsePaths: ['/'], cartProducts: [], main: { path: '/', variantId: '' }, scarce: { path: '/', variantId: '' } };
    const loadBefore = loadavg()[0] ?? 0;
    await drive(child.url, null, catalog, { users: opts.users, seconds: opts.durationSec, rec, browseOnly: true });
    return summarise('baseline', 'Baseline (raw Fastify, static page, browsing only)', 1, 'none', rec, opts.durationSec, opts.users, null, loadBefore);
  } finally {
    await child.stop();
  }
}

/** One shop target: cluster up, load (with faults for `faults`), settle, books. */
export async function runShop(name: Exclude<TargetName, 'baseline'>, opts: LoadOptions, log: (s: string) => void = (s) => process.stderr.write(`${s}\n`)): Promise<TargetResult & { productBytes: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), `mamori-load-${name}-`));
  const sink = await startSmtpSink();
  let pg: ThrowawayPg | null = null;
  let cluster: ServerChild | null = null;
  let handle: DbHandle | null = null;
  const processes = name === 'sqlite1' ? 1 : 2;
  try {
    if (name !== 'sqlite1') {
      log(`${name}: starting a throw-away PostgreSQL …`);
      pg = await startThrowawayPg();
    }
    const port = await freePort();
    const pspPort = await freePort();
    const live = new Set<number>();
    const exits = new Map<number, number>();
    const restartMs: number[] = [];
    let pendingExit: number | null = null;
    log(`${name}: starting ${processes} shop process(es) …`);
    cluster = await startChild({
      name: `cluster-${name}`, script: join(ROOT, 'bin', 'mamori.js'), args: ['cluster', '--json'], cwd: ROOT, timeoutMs: 180_000,
      env: {
        NODE_ENV: 'test', LOG_LEVEL: process.env.LOADTEST_LOG_LEVEL ?? 'fatal', CLUSTER_WORKERS: String(processes), PORT: String(port), PSP_PORT: String(pspPort), HOST: '127.0.0.1',
        PUBLIC_URL: `http://127.0.0.1:${port}`, PSP_PUBLIC_URL: `http://127.0.0.1:${pspPort}`, MAMORI_DATA_DIR: dataDir, SMTP_URL: sink.url,
        MAIL_LEASE_SECONDS: '15', CARD_ATTEMPTS_PER_IP: '100000000', CARD_ATTEMPTS_PER_SESSION: '100000000', CARD_ATTEMPTS_PER_EMAIL: '100000000',
        CARD_DECLINE_BURST: '100000000', ...(pg ? { DATABASE_URL: pg.url } : {}),
      },
      onMessage: (msg) => {
        const pid = Number(msg.pid);
        if (msg.bench === 'worker' && msg.event === 'listening') {
          live.add(pid);
          if (pendingExit !== null) {
            restartMs.push(Number(msg.at) - pendingExit);
            pendingExit = null;
          }
        } else if (msg.bench === 'worker' && msg.event === 'exit') {
          live.delete(pid);
          exits.set(pid, Number(msg.at));
        }
      },
    });
    for (const pid of cluster.info.workers as number[]) live.add(pid);
    const url = cluster.url;
    const pspUrl = String(cluster.info.pspUrl);
    handle = openDatabase({ databaseUrl: pg?.url ?? null, dataDir });
    const { catalog, stockBefore, productBytes } = await discover(url, handle, opts.scarceStock);

    // Warm-up: every page once per process, a purchase.
    for (let i = 0; i < processes * 2; i++) for (const p of catalog.browsePaths) await new Client(url).get(p);
    await buyOnce(new Client(url), { pspUrl, productPath: catalog.main.path, variantId: catalog.main.variantId, email: 'warmup@example.jp' });

    const rec = new Recorder();
    const seconds = name === 'faults' ? opts.faultDurationSec : opts.durationSec;
    const loadBefore = loadavg()[0] ?? 0;
    log(`${name}: ${seconds} s of mixed traffic, ${opts.users} users${name === 'faults' ? ', with faults' : ''} …`);
    const faultTasks: Promise<void>[] = [];
    let faults: FaultReport | null = null;
    const probes: { at: number; ok: boolean }[] = [];
    let smtpWindowEnd = 0;
    let deferredIds = new Set<string>();
    if (name === 'faults') {
      faults = { kills: 0, workerRestartMs: restartMs, killOutageMs: 0, pgRestartMs: null, pgRecoverMs: null, smtp4xxMs: opts.smtp4xxSec * 1000, mailsDeferred: 0, mailRecoverMs: null };
      const f = faults;
      const loadEnd = Date.now() + seconds * 1000;
      // Health probes (database-backed), 5 per second: what a load balancer's checks would see.
      faultTasks.push((async () => {
        while (Date.now() < loadEnd) {
          const at = Date.now();
          let ok = false;
          try {
            const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
            await res.arrayBuffer();
            ok = res.ok;
          } catch {
            ok = false;
          }
          probes.push({ at, ok });
          await sleep(200);
        }
      })());
      // kill -9 one shop process every few seconds.
      faultTasks.push((async () => {
        await sleep(3000);
        while (Date.now() + opts.killEverySec * 1000 < loadEnd) {
          // One process at a time: the next kill waits until the last one's replacement serves.
          for (let waited = 0; live.size < processes && waited < 30_000; waited += 100) await sleep(100);
          const pids = [...live];
          const victim = pids[Math.floor(Math.random() * pids.length)];
          if (victim !== undefined) {
            try {
              process.kill(victim, 'SIGKILL');
              live.delete(victim);
              pendingExit = Date.now();
              f.kills++;
              log(`faults: kill -9 shop process ${victim}`);
            } catch {
              // already gone
            }
          }
          await sleep(opts.killEverySec * 1000);
        }
      })());
      // PostgreSQL restart at 40 % of the run.
      faultTasks.push((async () => {
        await sleep(seconds * 400);
        log('faults: restarting PostgreSQL …');
        const t0 = Date.now();
        await pg!.restart();
        f.pgRestartMs = Date.now() - t0;
        log(`faults: PostgreSQL back after ${f.pgRestartMs} ms`);
        // Recovery: the first request needing the database that succeeds after the restart began.
        for (;;) {
          try {
            const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
            await res.arrayBuffer();
            if (res.ok) break;
          } catch {
            // not yet
          }
          await sleep(50);
        }
        f.pgRecoverMs = Date.now() - t0;
      })());
      // The mail server answers 451 to every mail for a while, from 60 % of the run.
      faultTasks.push((async () => {
        await sleep(seconds * 600);
        const before = new Set(sink.messages.map((m) => messageIdOf(m.raw)));
        log(`faults: mail server answers 451 for ${opts.smtp4xxSec} s`);
        sink.failNext(451, Number.MAX_SAFE_INTEGER);
        // A buyer buying throughout the window, so confirmations are certainly queued while mail is refused.
        const windowEnd = Date.now() + opts.smtp4xxSec * 1000;
        for (let i = 0; Date.now() < windowEnd; i++) {
          await buyOnce(new TimedClient(url, new Recorder()), { pspUrl, productPath: catalog.main.path, variantId: catalog.main.variantId, email: `during-451-${i}@example.jp` }).catch(() => 'failed');
        }
        await sleep(Math.max(0, windowEnd - Date.now()));
        sink.failNext(0, 0);
        smtpWindowEnd = Date.now();
        const rows = await handle!.db.selectFrom('outbox').select(['id', 'attempts', 'status']).where('attempts', '>', 0).where('status', '=', 'pending').execute();
        deferredIds = new Set(rows.map((r) => `${r.id}@mamori.invalid`).filter((id) => !before.has(id)));
        f.mailsDeferred = deferredIds.size;
        // Recovery: the moment the last of them reached the mail server.
        const allIn = () => {
          const got = new Set(sink.messages.map((m) => messageIdOf(m.raw)));
          return [...deferredIds].every((id) => got.has(id));
        };
        while (!allIn() && Date.now() < smtpWindowEnd + opts.drainSec * 1000) await sleep(250);
        f.mailRecoverMs = allIn() && deferredIds.size > 0 ? Date.now() - smtpWindowEnd : null;
      })());
    }
    const outcomes = await drive(url, pspUrl, catalog, { users: opts.users, seconds, rec, browseOnly: false });
    rec.active = false;
    const loadEndedAt = Date.now();
    await Promise.all(faultTasks);
    const result = summarise(name, name === 'sqlite1' ? '1 shop process, SQLite' : name === 'pg2' ? '2 shop processes, PostgreSQL' : '2 shop processes, PostgreSQL, with faults', processes, pg ? 'postgres' : 'sqlite', rec, seconds, opts.users, outcomes, loadBefore);

    if (faults) {
      // Longest stretch of failed probes (a kill, the database restart).
      let worst = 0;
      let downSince: number | null = null;
      for (const p of probes) {
        if (!p.ok && downSince === null) downSince = p.at;
        if (p.ok && downSince !== null) {
          worst = Math.max(worst, p.at - downSince);
          downSince = null;
        }
      }
      faults.killOutageMs = worst;
    }

    // Let the shop catch up: webhooks retried, reconciliation, mails retried after 4xx and leases.
    log(`${name}: load over; waiting for the shop to settle (up to ${opts.drainSec} s) …`);
    const delivered = () => sink.messages.map((m) => messageIdOf(m.raw)).filter((id): id is string => id !== null);
    let books = await checkBooks({ db: handle.db, pspDbFile: join(dataDir, 'psp', 'psp.sqlite'), stockBefore, deliveredMessageIds: delivered() });
    const settleUntil = Date.now() + opts.drainSec * 1000;
    while (!(books.ok && books.lost === 0) && Date.now() < settleUntil) {
      await sleep(1000);
      books = await checkBooks({ db: handle.db, pspDbFile: join(dataDir, 'psp', 'psp.sqlite'), stockBefore, deliveredMessageIds: delivered() });
    }
    result.settleMs = books.ok ? Date.now() - loadEndedAt : null;
    result.books = books;
    result.faults = faults;
    log(`${name}: ${result.pagesPerSec.toFixed(0)} pages/s, p99 ${result.p99} ms, ${result.errors} errors, ${result.checkouts.paid} paid checkouts; books ${books.ok ? 'PASS' : 'FAIL'}`);
    return { ...result, productBytes };
  } finally {
    await handle?.close();
    await cluster?.stop(30_000);
    await sink.close();
    await pg?.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)} ×` : 'n/a');

export function booksVerdict(b: Books | null): string {
  if (!b) return 'n/a';
  const m = b.mail;
  return `${b.ok ? 'PASS' : 'FAIL'}: ${b.pspPaid} paid at the provider / ${b.shopPaid} in the shop; lost ${b.lost}, double charges ${b.doubleCharged}, oversold ${b.oversold}` +
    (m ? `; mails ${m.delivered} delivered, lost ${m.lost}, doubled ${m.doubled}, same mail re-sent after a crash ${m.extraDeliveries}` : '');
}

export function markdown(results: TargetResult[], opts: LoadOptions, loadAfter: number): string {
  const base = results.find((r) => r.name === 'baseline');
  const row = (r: TargetResult) =>
    `| ${r.label} | ${fmt(r.pagesPerSec)} | ${base && r !== base ? ratio(r.pagesPerSec, base.pagesPerSec) : r === base ? '1.00 ×' : 'n/a'} | ${r.kinds.browse.p50} | ${r.kinds.browse.p99} | ${base && r !== base ? ratio(r.kinds.browse.p99, base.kinds.browse.p99) : r === base ? '1.00 ×' : 'n/a'} | ${r.p99} | ${r.name === 'baseline' ? '—' : `${r.checkouts.perSec.toFixed(2)} (${r.checkouts.paid})`} | ${r.errors} of ${fmt(r.kinds.browse.pages + r.kinds.cart.pages + r.kinds.checkout.pages)} |`;
  const shops = results.filter((r) => r.name !== 'baseline');
  const lines = [
    START,
    '## Mixed load, one process vs two, and faults (`npm run loadtest -- --faults`)',
    '',
    `Virtual users (${opts.users}, in the load-test process) load pages as a browser without JavaScript: 90 % of actions browse`,
    '(listing, category, product pages), 8 % add to a new cart (product page + add), 2 % buy by card through the sandbox provider',
    '(half of them a variant with little stock, which sells out). Every target runs in its own processes (`mamori cluster`: the',
    'supervisor balances connections over its shop processes; the sandbox provider is its own process). Latency is per page load',
    '(a POST and the redirect it answers with count as one). The baseline is a raw Fastify server sending a static page of the',
    'product page\'s size, browsed by the same virtual users. Mail goes over SMTP to a real SMTP server in the load-test process.',
    '',
    `- Date: ${new Date().toISOString()}; Node ${process.version}; ${cpus().length} CPU cores (${cpus()[0]?.model.trim() ?? 'unknown'})`,
    `- 1-minute load average before each target: ${results.map((r) => `${r.name} ${r.loadBefore.toFixed(2)}`).join(', ')}; after the run ${loadAfter.toFixed(2)}. The machine was shared with other work: figures are low, ratios are the comparable part.`,
    `- ${opts.durationSec} s per target (faults run: ${opts.faultDurationSec} s). PostgreSQL is a throw-away server with default settings (every commit flushed to disk); SQLite runs in WAL mode with \`synchronous=NORMAL\`.`,
    '',
    '| Target | pages/s | vs baseline | browse p50 (ms) | browse p99 (ms) | browse p99 vs baseline | all pages p99 (ms) | card checkouts/s (paid) | errors (5xx, resets) |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...results.map(row),
    '',
    '| Books after the load | ' + shops.map((r) => r.name).join(' | ') + ' |',
    '|---|' + shops.map(() => '---').join('|') + '|',
    `| Paid at the provider / paid in the shop | ${shops.map((r) => (r.books ? `${r.books.pspPaid} / ${r.books.shopPaid}` : 'n/a')).join(' | ')} |`,
    `| Lost orders (paid, not in the shop) | ${shops.map((r) => r.books?.lost ?? 'n/a').join(' | ')} |`,
    `| Double charges / payments recorded twice / paid events twice | ${shops.map((r) => (r.books ? `${r.books.doubleCharged} / ${r.books.duplicatedPayments} / ${r.books.multiPaidEvents}` : 'n/a')).join(' | ')} |`,
    `| Oversold (units) | ${shops.map((r) => r.books?.oversold ?? 'n/a').join(' | ')} |`,
    `| Stock before − sold = after | ${shops.map((r) => (r.books ? r.books.stock.map((s) => `${s.before} − ${s.sold} = ${s.after}`).join('; ') : 'n/a')).join(' | ')} |`,
    `| Checkouts refused: sold out | ${shops.map((r) => r.checkouts.soldOut).join(' | ')} |`,
    `| Buyer runs that failed (an error on the way) | ${shops.map((r) => r.checkouts.failed).join(' | ')} |`,
    `| Confirmation mails delivered / lost / doubled | ${shops.map((r) => (r.books?.mail ? `${r.books.mail.delivered} / ${r.books.mail.lost} / ${r.books.mail.doubled}` : 'n/a')).join(' | ')} |`,
    `| Same mail delivered again after a crash (same Message-ID) | ${shops.map((r) => r.books?.mail?.extraDeliveries ?? 'n/a').join(' | ')} |`,
    `| Caught up after the load (webhooks, mail retries) | ${shops.map((r) => (r.settleMs === null ? 'NOT within the wait' : `${(r.settleMs / 1000).toFixed(1)} s`)).join(' | ')} |`,
    `| Books check | ${shops.map((r) => (r.books?.ok ? 'PASS' : 'FAIL')).join(' | ')} |`,
  ];
  const f = results.find((r) => r.faults)?.faults;
  if (f) {
    const med = [...f.workerRestartMs].sort((a, b) => a - b);
    lines.push(
      '',
      '| Fault (faults run) | Result |',
      '|---|---|',
      `| kill -9 of a shop process every ${opts.killEverySec} s (the next kill waits for the replacement) | ${f.kills} kills; replacement process serving after ${med.length ? med.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ') : 'n/a'} (start-up through tsx, from the TypeScript sources); longest run of failed health probes ${(f.killOutageMs / 1000).toFixed(1)} s (the other process answers meanwhile) |`,
      `| PostgreSQL restarted once (\`pg_ctl restart -m fast\`) | restart took ${f.pgRestartMs === null ? 'n/a' : `${(f.pgRestartMs / 1000).toFixed(1)} s`}; the shop answered a database request again ${f.pgRecoverMs === null ? 'n/a' : `${(f.pgRecoverMs / 1000).toFixed(1)} s`} after the restart began |`,
      `| Mail server answering 451 to every mail for ${opts.smtp4xxSec} s | ${f.mailsDeferred} mails deferred; all delivered ${f.mailRecoverMs === null ? 'n/a' : `${(f.mailRecoverMs / 1000).toFixed(1)} s`} after the mail server recovered (outbox back-off: 10 s, 20 s, …) |`,
    );
  }
  lines.push(END);
  return lines.join('\n');
}

export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): LoadOptions {
  const num = (name: string, fallback: number, min: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min}, got "${raw}"`);
    return n;
  };
  return {
    durationSec: num('LOADTEST_DURATION', 30, 1),
    faultDurationSec: num('LOADTEST_FAULT_DURATION', 45, 10),
    users: Math.round(num('LOADTEST_USERS', 32, 1)),
    killEverySec: num('LOADTEST_KILL_EVERY', 5, 1),
    smtp4xxSec: num('LOADTEST_SMTP_4XX_SECONDS', 8, 1),
    drainSec: num('LOADTEST_DRAIN_SECONDS', 120, 5),
    scarceStock: Math.round(num('LOADTEST_SCARCE_STOCK', 20, 0)),
  };
}

async function main(argv: string[]): Promise<number> {
  const faults = argv.includes('--faults');
  const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',') as TargetName[] | undefined;
  const targets: TargetName[] = only ?? ['baseline', 'sqlite1', 'pg2', ...(faults ? ['faults' as const] : [])];
  if (targets.some((t) => t !== 'baseline' && t !== 'sqlite1') && !findPgBin()) {
    console.error('loadtest: the PostgreSQL targets need Debian\'s server binaries (/usr/lib/postgresql/*/bin); install the postgresql package or run --only=baseline,sqlite1');
    return 2;
  }
  const opts = optionsFromEnv();
  const results: TargetResult[] = [];
  let productBytes = 0;
  for (const t of targets.filter((x) => x !== 'baseline')) {
    const r = await runShop(t as Exclude<TargetName, 'baseline'>, opts);
    productBytes = r.productBytes;
    results.push(r);
  }
  if (targets.includes('baseline')) {
    if (productBytes === 0) productBytes = 4789;
    process.stderr.write('baseline …\n');
    results.unshift(await runBaseline(opts, productBytes));
  }
  for (const r of results) {
    console.log(`${r.label.padEnd(52)} ${fmt(r.pagesPerSec).padStart(7)} pages/s  p50 ${r.p50} ms  p99 ${r.p99} ms  errors ${r.errors}  checkouts/s ${r.checkouts.perSec.toFixed(2)}`);
    if (r.books) console.log(`  books ${booksVerdict(r.books)}`);
    if (r.faults) console.log(`  faults ${JSON.stringify(r.faults)}`);
  }
  const ok = results.every((r) => r.books === null || r.books.ok);
  if (process.env.LOADTEST_NO_WRITE === '1') console.log('LOADTEST_NO_WRITE=1: docs/performance.md left unchanged');
  else {
    writeSection(DOC, markdown(results, opts, loadavg()[0] ?? 0), START, END);
    console.log(`written: ${DOC}`);
  }
  return ok ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(`loadtest: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      killAllChildren('SIGTERM');
      process.exitCode = 1;
    },
  );
}
