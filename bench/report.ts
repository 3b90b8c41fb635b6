import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One measured target. Latencies in milliseconds. */
export interface Measurement {
  label: string;
  path: string;
  bytes: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** CPU time (user + system) of the server process per response, in ms; null without /proc. */
  cpuMsPerRequest: number | null;
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  pass: boolean;
}

export interface StorefrontReport {
  date: Date;
  node: string;
  machine: string;
  /** 1-minute load average just before the run (other work on the machine). */
  loadBefore: number;
  /** 1-minute load average at the end (the run itself adds about 2). */
  loadAfter: number;
  durationSec: number;
  warmupSec: number;
  connections: number;
  baseline: Measurement;
  product: Measurement;
  category: Measurement;
  peakRssMb: number | null;
  idleRssMb: number | null;
  targets: Target[];
}

export const START = '<!-- bench:storefront:start -->';
export const END = '<!-- bench:storefront:end -->';

const INTRO = `# Performance

Benchmarks of the shop as it runs in production, each run with \`npm run\` and each writing its own
section of this file between \`<!-- bench:<name>:start -->\` / \`<!-- bench:<name>:end -->\` markers
(a run replaces only its own section; the figures below are the last recorded run).

Machine: 2 CPU cores. The load generator (autocannon) runs in the parent process; every server
under test runs in its own child process, so the two share the machine but not an event loop.
`;

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

const cpuMs = (m: Measurement) => (m.cpuMsPerRequest === null ? 'n/a' : m.cpuMsPerRequest.toFixed(3));

export function ratio(m: Measurement, baseline: Measurement): number {
  return baseline.reqPerSec > 0 ? m.reqPerSec / baseline.reqPerSec : 0;
}

/** The console table. */
export function consoleTable(r: StorefrontReport): string {
  const rows = [
    ['target', 'bytes', 'req/s', 'p50 ms', 'p99 ms', 'x baseline', 'CPU ms/req', 'requests', 'non-2xx', 'errors'],
    ...[r.baseline, r.product, r.category].map((m) => [
      m.label, String(m.bytes), fmt(m.reqPerSec), String(m.p50), String(m.p99), ratio(m, r.baseline).toFixed(2),
      cpuMs(m), String(m.requests), String(m.non2xx), String(m.errors),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line), ''];
  out.push(`peak shop RSS: ${r.peakRssMb === null ? 'n/a' : `${r.peakRssMb.toFixed(1)} MB`}`, '');
  for (const t of r.targets) out.push(`${t.pass ? 'PASS' : 'MISS'}  ${t.name}: ${t.measured} (goal ${t.goal})`);
  return out.join('\n');
}

/** The Markdown section, markers included. */
export function markdownSection(r: StorefrontReport): string {
  const row = (m: Measurement) =>
    `| ${m.label} | \`${m.path}\` | ${fmt(m.bytes)} | ${fmt(m.reqPerSec)} | ${m.p50} | ${m.p99} | ${ratio(m, r.baseline).toFixed(2)} × | ${cpuMs(m)} | ${fmt(m.requests)} | ${m.non2xx} | ${m.errors} |`;
  const rss = (mb: number | null) => (mb === null ? 'n/a' : `${mb.toFixed(1)} MB`);
  return [
    START,
    '## Storefront throughput (`npm run bench`)',
    '',
    'Anonymous returning visitor (session cookie from a first request, `accept: text/html`) browsing the',
    'real shop — SQLite, demo catalog, sandbox payment provider, `LOG_LEVEL=warn` — against a raw Fastify',
    'server sending a static HTML string of the product page\'s byte size with the same content-type.',
    `${r.connections} connections, ${r.durationSec} s per target after a ${r.warmupSec} s warm-up; requests/s is autocannon's mean of`,
    'per-second samples. The shop runs from the TypeScript sources through tsx, as the tests start it',
    '(`test/helpers/shop.ts`). Change the duration with `BENCH_DURATION=<seconds> npm run bench`.',
    '',
    `- Date: ${r.date.toISOString()}`,
    `- Node: ${r.node}`,
    `- Machine: ${r.machine}; 1-minute load average ${r.loadBefore.toFixed(2)} before the run, ${r.loadAfter.toFixed(2)} after (the run itself adds about 2)`,
    `- Duration: ${r.durationSec} s per target (warm-up ${r.warmupSec} s), ${r.connections} connections`,
    '',
    '| Target | Path | Body (bytes) | req/s (mean) | p50 (ms) | p99 (ms) | vs baseline | server CPU (ms/request) | responses | non-2xx | errors |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    row(r.baseline),
    row(r.product),
    row(r.category),
    '',
    `Shop process RSS (VmRSS, sampled every 250 ms): ${rss(r.idleRssMb)} after start, peak ${rss(r.peakRssMb)}; shop started with node flags \`${(process.env.BENCH_SHOP_NODE_ARGS ?? '--max-old-space-size=160') || '(none)'}\` (the README's production recommendation; without the heap cap the peak was about 320 MB at the same throughput).`,
    'Server CPU is the process\'s user + system time during the measurement divided by the responses: unlike',
    'requests/s it moves less (though not nothing) when other work shares the machine. Where the time goes:',
    '`node --import tsx bench/profile.ts product` (or `category`) CPU-profiles the shop under the same load.',
    '',
    '| Target | Goal | Measured | Result |',
    '|---|---|---|---|',
    ...r.targets.map((t) => `| ${t.name} | ${t.goal} | ${t.measured} | ${t.pass ? 'PASS' : 'MISS'} |`),
    END,
  ].join('\n');
}

/** Writes or replaces the marked section in `file`, keeping everything else; creates the file if missing. */
export function writeSection(file: string, section: string, start = START, end = END): void {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${INTRO}\n${section}\n`);
    return;
  }
  const text = readFileSync(file, 'utf8');
  const startAt = text.indexOf(start);
  const endAt = startAt === -1 ? -1 : text.indexOf(end, startAt);
  const next = startAt !== -1 && endAt !== -1
    ? text.slice(0, startAt) + section + text.slice(endAt + end.length)
    : `${text.replace(/\s*$/, '')}\n\n${section}\n`;
  writeFileSync(file, next);
}
