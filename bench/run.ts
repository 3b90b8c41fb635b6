/**
 * `npm run bench`: storefront throughput against a raw Fastify baseline.
 *
 * The shop and the baseline each run in a child process; this process only generates load
 * (autocannon) and samples the shop's RSS. Results are printed and written to docs/performance.md
 * between the `bench:storefront` markers. Missing a target is reported, not failed; the exit code is
 * non-zero only when the measurement itself is broken (a server did not start, a page did not load,
 * more than 1 % of responses were not 2xx or failed).
 *
 * Environment:
 *   BENCH_DURATION=<s>         seconds per target (default 10)
 *   BENCH_WARMUP=<s>           warm-up seconds per target (default 2)
 *   BENCH_CONNECTIONS=<n>      concurrent connections (default 50)
 *   BENCH_SHOP_NODE_ARGS=...   extra node flags for the shop child, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
 *   BENCH_NO_WRITE=1           print only; leave docs/performance.md as it is
 */
import autocannon from 'autocannon';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killAllChildren, readCpuMs, RssSampler, startChild, type ServerChild } from './child.js';
import { BenchError, BROWSER_HEADERS, discoverPages, get } from './pages.js';
import { consoleTable, markdownSection, ratio, writeSection, type Measurement, type StorefrontReport, type Target } from './report.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);
const DOC = join(ROOT, 'docs', 'performance.md');

const MAX_BAD_RATIO = 0.01;

function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new BenchError(`${name} must be a number >= ${min}, got "${raw}"`);
  return n;
}

async function cannon(url: string, seconds: number, connections: number, headers: Record<string, string>): Promise<autocannon.Result> {
  return autocannon({ url, connections, duration: seconds, headers, timeout: 10 });
}

async function measure(label: string, server: ServerChild, path: string, bytes: number, opts: { duration: number; warmup: number; connections: number; headers: Record<string, string> }): Promise<Measurement> {
  const url = server.url + path;
  if (opts.warmup > 0) {
    process.stderr.write(`warm-up  ${label} (${opts.warmup} s) …\n`);
    await cannon(url, opts.warmup, opts.connections, opts.headers);
  }
  process.stderr.write(`measure  ${label} (${opts.duration} s, ${opts.connections} connections) …\n`);
  const cpuBefore = readCpuMs(server.pid);
  const r = await cannon(url, opts.duration, opts.connections, opts.headers);
  const cpuAfter = readCpuMs(server.pid);
  const requests = r['2xx'] + r.non2xx;
  return {
    label,
    path,
    bytes,
    reqPerSec: r.requests.mean,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests,
    cpuMsPerRequest: cpuBefore !== null && cpuAfter !== null && requests > 0 ? (cpuAfter - cpuBefore) / requests : null,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

/** A broken measurement: too many failed or non-2xx responses, or none at all. */
function problems(m: Measurement): string[] {
  const out: string[] = [];
  const attempted = m.requests + m.errors;
  if (m.requests === 0) out.push(`${m.label}: no responses`);
  else if (m.non2xx / m.requests > MAX_BAD_RATIO) out.push(`${m.label}: ${m.non2xx} of ${m.requests} responses not 2xx (> ${MAX_BAD_RATIO * 100} %)`);
  if (attempted > 0 && m.errors / attempted > MAX_BAD_RATIO) out.push(`${m.label}: ${m.errors} connection errors/timeouts (> ${MAX_BAD_RATIO * 100} %)`);
  return out;
}

async function main(): Promise<number> {
  const duration = envNumber('BENCH_DURATION', 10, 1);
  const warmup = envNumber('BENCH_WARMUP', 2, 0);
  const connections = Math.round(envNumber('BENCH_CONNECTIONS', 50, 1));
  // The heap cap recommended for production in the README (without it V8 lets the heap grow lazily
  // under load: ~320 MB peak here, with no gain in throughput). BENCH_SHOP_NODE_ARGS replaces it.
  const shopNodeArgs = (process.env.BENCH_SHOP_NODE_ARGS ?? '--max-old-space-size=160').split(/\s+/).filter(Boolean);

  const children: ServerChild[] = [];
  let sampler: RssSampler | null = null;
  try {
    const loadBefore = loadavg()[0] ?? 0;
    if (loadBefore > 0.5) process.stderr.write(`note: 1-minute load average is ${loadBefore.toFixed(2)} before the run: other work on the machine skews the figures\n`);
    process.stderr.write('starting shop …\n');
    const shop = await startChild({
      name: 'shop', script: join(BENCH_DIR, 'shop-server.ts'), cwd: ROOT, nodeArgs: shopNodeArgs,
      env: { NODE_ENV: 'production', LOG_LEVEL: 'warn' },
    });
    children.push(shop);
    sampler = new RssSampler(shop.pid);
    const idleRssKb = sampler.read();
    sampler.start(250);
    if (!sampler.supported) process.stderr.write('note: /proc not available, RSS is not sampled\n');

    const { cookie: sid, productPath, categoryPath, product, category } = await discoverPages(shop.url);
    process.stderr.write(`product  ${productPath}: ${product.bytes} bytes, ${product.contentType}\n`);
    process.stderr.write(`category ${categoryPath}: ${category.bytes} bytes\n`);

    const baselineChild = await startChild({ name: 'baseline', script: join(BENCH_DIR, 'baseline-server.ts'), args: [String(product.bytes)], cwd: ROOT });
    children.push(baselineChild);
    const baselineProbe = await get(`${baselineChild.url}/`);
    if (baselineProbe.bytes !== product.bytes || baselineProbe.contentType !== product.contentType) {
      throw new BenchError(`baseline sends ${baselineProbe.bytes} bytes "${baselineProbe.contentType}", product page ${product.bytes} bytes "${product.contentType}"`);
    }

    const headers = { ...BROWSER_HEADERS, cookie: sid };
    const opts = { duration, warmup, connections, headers };
    const baseline = await measure('Baseline (raw Fastify, static HTML)', baselineChild, '/', baselineProbe.bytes, opts);
    await baselineChild.stop();
    const productM = await measure('Product page', shop, productPath, product.bytes, opts);
    const categoryM = await measure('Category page', shop, categoryPath, category.bytes, opts);
    sampler.stop();

    const peakRssMb = sampler.peakMb;
    const productRatio = ratio(productM, baseline);
    const targets: Target[] = [
      { name: 'Product page throughput', goal: '≥ 0.50 × baseline', measured: `${productRatio.toFixed(2)} × (${Math.round(productM.reqPerSec)} vs ${Math.round(baseline.reqPerSec)} req/s)`, pass: productRatio >= 0.5 },
      { name: `Product page p99 at ${connections} connections`, goal: '< 25 ms', measured: `${productM.p99} ms`, pass: productM.p99 < 25 },
      { name: 'Shop RSS (peak)', goal: '< 250 MB', measured: peakRssMb === null ? 'not sampled' : `${peakRssMb.toFixed(1)} MB`, pass: peakRssMb !== null && peakRssMb < 250 },
    ];
    const cpu = cpus();
    const report: StorefrontReport = {
      date: new Date(),
      node: process.version,
      machine: `${process.platform} ${process.arch}, ${cpu.length} CPU cores (${cpu[0]?.model.trim() ?? 'unknown'})`,
      loadBefore,
      loadAfter: loadavg()[0] ?? 0,
      durationSec: duration,
      warmupSec: warmup,
      connections,
      baseline,
      product: productM,
      category: categoryM,
      peakRssMb,
      idleRssMb: idleRssKb === null ? null : idleRssKb / 1024,
      targets,
    };

    console.log(`\n${consoleTable(report)}\n`);
    const broken = [baseline, productM, categoryM].flatMap(problems);
    if (broken.length > 0) {
      console.error(`bench: measurement invalid, ${DOC} left unchanged:\n  ${broken.join('\n  ')}`);
      return 1;
    }
    if (process.env.BENCH_NO_WRITE === '1') {
      console.log('BENCH_NO_WRITE=1: docs/performance.md left unchanged');
    } else {
      writeSection(DOC, markdownSection(report));
      console.log(`written: ${DOC}`);
    }
    return 0;
  } finally {
    sampler?.stop();
    await Promise.all(children.map((c) => c.stop()));
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`bench: ${err instanceof BenchError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    killAllChildren('SIGTERM');
    process.exitCode = 1;
  },
);
