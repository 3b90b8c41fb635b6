/**
 * History import and incident scoping, measured (not asserted): `node --import tsx bench/history.ts`
 * with HISTORY_CUSTOMERS / HISTORY_ORDERS (default 20,000 / 100,000) and, for PostgreSQL,
 * BENCH_DATABASE_URL. Prints the time of each step and the peak resident memory, and writes its
 * section of docs/performance.md (BENCH_NO_WRITE=1: print only). Part of `npm run bench`.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { Writable } from 'node:stream';
import pg from 'pg';
import { openDatabase } from '../src/db/index.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { generateDemoHistory } from '../src/incidents/history/demo.js';
import { importHistory } from '../src/incidents/history/import.js';
import { scopeCounts, scopeWithEntries, type ScopeWindows } from '../src/incidents/scope.js';
import { writeSection } from './report.js';

const customers = Number(process.env.HISTORY_CUSTOMERS ?? 20_000);
const orders = Number(process.env.HISTORY_ORDERS ?? 100_000);
const pgUrl = process.env.BENCH_DATABASE_URL;
const dir = mkdtempSync(join(tmpdir(), 'mamori-bench-history-'));
let peak = 0;
const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
const loadBefore = loadavg()[0]!;
/** Per dialect and step: seconds and peak RSS in MB, for the report. */
const figures = new Map<string, Map<string, { s: number; mb: number }>>();
let lastSeconds = 0;
const time = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
  const t = process.hrtime.bigint();
  const r = await fn();
  lastSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  console.log(`${label}: ${lastSeconds.toFixed(2)} s`);
  return r;
};
const record = (dialect: string, step: string) => {
  if (!figures.has(dialect)) figures.set(dialect, new Map());
  figures.get(dialect)!.set(step, { s: lastSeconds, mb: Math.max(peak, process.memoryUsage().rss) / 2 ** 20 });
};

const file = join(dir, 'history.jsonl');
await time(`generate ${customers} customers / ${orders} orders`, async () => {
  const out = createWriteStream(file);
  await generateDemoHistory({ customers, orders, from: '2015-08-28', to: '2024-07-19', seed: 1 }, out);
  out.end();
  await finished(out);
});
const windows: ScopeWindows = { card: { from: '2021-05-26', to: '2024-07-19' }, personal: { from: '2015-08-28', to: '2024-07-19' } };

for (const dialect of pgUrl ? ['sqlite', 'postgres'] : ['sqlite']) {
  let schema: string | null = null;
  let url: string | null = null;
  if (dialect === 'postgres') {
    schema = `mamori_bench_${Date.now().toString(36)}`;
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    await c.query(`create schema ${schema}`);
    await c.end();
    url = `${pgUrl}${pgUrl!.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  }
  const h = openDatabase({ databaseUrl: url, dataDir: join(dir, dialect) });
  await migrateToLatest(h.db);
  peak = 0;
  const r = await time(`[${dialect}] import`, () => importHistory(h.db, createReadStream(file, { encoding: 'utf8' })));
  record(dialect, 'import');
  console.log(`[${dialect}]   ${r.accepted} accepted, ${r.refused} refused; peak RSS ${(peak / 2 ** 20).toFixed(0)} MB`);
  peak = 0;
  await time(`[${dialect}] import again (nothing changes)`, () => importHistory(h.db, createReadStream(file, { encoding: 'utf8' })));
  record(dialect, 'again');
  peak = 0;
  const c = await time(`[${dialect}] scope (counts)`, () => scopeCounts(h.db, windows));
  record(dialect, 'scope');
  console.log(`[${dialect}]   ${JSON.stringify({ card: c.card, personal: c.personal, recipients: c.recipients, total: c.total })}; peak RSS ${(peak / 2 ** 20).toFixed(0)} MB`);
  peak = 0;
  let bytes = 0;
  const sink = new Writable({ write(chunk: Buffer, _e, cb) { bytes += chunk.length; cb(); } });
  await time(`[${dialect}] scope with one line per person (--out)`, () => scopeWithEntries(h.db, windows, {}, sink));
  record(dialect, 'out');
  console.log(`[${dialect}]   ${(bytes / 2 ** 20).toFixed(1)} MB written; peak RSS ${(peak / 2 ** 20).toFixed(0)} MB`);
  await h.close();
  if (schema) {
    const c2 = new pg.Client({ connectionString: pgUrl });
    await c2.connect();
    await c2.query(`drop schema ${schema} cascade`);
    await c2.end();
  }
}
clearInterval(sample);
rmSync(dir, { recursive: true, force: true });

if (!process.env.BENCH_NO_WRITE) {
  const START = '<!-- bench:history:start -->';
  const END = '<!-- bench:history:end -->';
  const dialects = [...figures.keys()];
  const cell = (d: string, step: string) => {
    const f = figures.get(d)?.get(step);
    return f ? `${f.s.toFixed(1)} s (peak RSS ${f.mb.toFixed(0)} MB)` : '–';
  };
  // The issue's target is 5,000,000 orders; scoping is linear in the orders of the windows.
  const factor = 5_000_000 / orders;
  const projected = (d: string, step: string) => {
    const f = figures.get(d)?.get(step);
    return f ? `${d}: ≈ ${(f.s * factor / 60).toFixed(0)} min` : '';
  };
  writeSection(join(import.meta.dirname, '..', 'docs', 'performance.md'), [
    START,
    '## History import and incident scoping (`bench/history.ts`)',
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}, ${cpus().length} CPU, load ${loadBefore.toFixed(2)} before. ` +
      `A generated history of ${customers.toLocaleString('en')} customers / ${orders.toLocaleString('en')} orders (HISTORY_CUSTOMERS / HISTORY_ORDERS; PostgreSQL with BENCH_DATABASE_URL), the seed's windows.`,
    '',
    `| Step | ${dialects.join(' | ')} |`,
    `|---|${dialects.map(() => '---').join('|')}|`,
    `| import (${(customers + orders).toLocaleString('en')} lines) | ${dialects.map((d) => cell(d, 'import')).join(' | ')} |`,
    `| import again (nothing changes) | ${dialects.map((d) => cell(d, 'again')).join(' | ')} |`,
    `| scope counts | ${dialects.map((d) => cell(d, 'scope')).join(' | ')} |`,
    `| scope with one line per person (\`--out\`) | ${dialects.map((d) => cell(d, 'out')).join(' | ')} |`,
    '',
    `**Gap to the issue's targets** (1,000,000 customers / 5,000,000 orders; scope in under 10 s and within 2× of one hand-written SQL pass; peak memory under 500 MB): ` +
      `not measured at that size (the import alone would take about an hour on this machine). Linearly projected to 5,000,000 orders, the scope counts take ${dialects.map((d) => projected(d, 'scope')).join(', ')} — far from the 10 s target — ` +
      `and the import ${dialects.map((d) => projected(d, 'import')).join(', ')}. The hand-written single-pass SQL baseline is not in the bench yet. ` +
      'Peak memory at this size is in the table (under 500 MB); the import streams and the scope runs in SQL, but the full size was not run to show it stays there. See docs/incident-response.md "What is next".',
    END,
  ].join('\n'), START, END);
}
process.exit(0);
