/**
 * Where a storefront page's time goes: `node --import tsx bench/profile.ts [product|category|/path]`.
 *
 * Starts the shop child as `npm run bench` does, warms the page up, then CPU-profiles the shop
 * (V8 sampling profiler, started and stopped over SIGUSR2, so start-up is excluded) during a load
 * of BENCH_DURATION seconds (default 10) at BENCH_CONNECTIONS (default 50). Writes the
 * .cpuprofile (open it in Chrome DevTools → Performance) and prints self and inclusive time by
 * function, by source file and by package. Profiling slows the shop down: use the shares, not the
 * absolute request rate.
 */
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from './child.js';
import { BenchError, BROWSER_HEADERS, discoverPages } from './pages.js';
import { summarise, type CpuProfile } from './profile-summary.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);

async function main(): Promise<void> {
  const which = process.argv[2] ?? 'product';
  const duration = Number(process.env.BENCH_DURATION ?? '10');
  const connections = Number(process.env.BENCH_CONNECTIONS ?? '50');
  const out = process.env.BENCH_PROFILE_OUT ?? join(tmpdir(), `mamori-shop-${Date.now()}.cpuprofile`);
  let written: (() => void) | null = null;
  const shop = await startChild({
    name: 'shop', script: join(BENCH_DIR, 'shop-server.ts'), cwd: ROOT,
    env: { NODE_ENV: 'production', LOG_LEVEL: 'warn', BENCH_PROFILE_FILE: out },
    onMessage: (msg) => {
      if (msg.bench === 'profile') written?.();
    },
  });
  try {
    const pages = await discoverPages(shop.url);
    const path = which === 'product' ? pages.productPath : which === 'category' ? pages.categoryPath : which;
    if (!path.startsWith('/')) throw new BenchError(`expected "product", "category" or a path, got "${which}"`);
    const opts = { url: shop.url + path, connections, headers: { ...BROWSER_HEADERS, cookie: pages.cookie } };
    process.stderr.write(`warm-up ${path} …\n`);
    await autocannon({ ...opts, duration: 2 });
    process.kill(shop.pid, 'SIGUSR2');
    await new Promise((r) => setTimeout(r, 200));
    process.stderr.write(`profiling ${path} (${duration} s, ${connections} connections) …\n`);
    const r = await autocannon({ ...opts, duration });
    const done = new Promise<void>((resolve) => (written = resolve));
    process.kill(shop.pid, 'SIGUSR2');
    await done;
    console.log(`${path}: ${Math.round(r.requests.mean)} req/s under the profiler, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}`);
    console.log(`profile: ${out}\n`);
    console.log(summarise(JSON.parse(readFileSync(out, 'utf8')) as CpuProfile, Number(process.env.BENCH_PROFILE_TOP ?? '30')));
  } finally {
    await shop.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`profile: ${err instanceof BenchError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
