import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import type { Config } from '../app/config.js';
import type { OrderChannel } from '../checkout/tables.js';
import { openDatabase } from '../db/index.js';
import { migrateToLatest } from '../db/migrate.js';
import { isIsoDate } from '../shared/time.js';
import { generateDemoHistory } from './history/demo.js';
import { exportHistory } from './history/export.js';
import { importHistory } from './history/import.js';
import { parseDayWindow, scopeCounts, scopeWithEntries, type ScopeCounts, type ScopeWindows } from './scope.js';

/** The command-line side of incident response: history import/export/demo and scoping (docs/incident-response.md). */

export const INCIDENT_HELP = `  import FILE.jsonl [--dry-run] [--strict] [--json]
               Load customers and orders (history format; "-" reads stdin). Exit 0: all lines
               accepted; 3: committed, some lines refused; 1: nothing committed
  export [FILE] Write the shop's history (customers and orders) as JSON Lines (stdout without FILE)
  demo history --customers N --orders M --from YYYY-MM-DD --to YYYY-MM-DD --seed S [--out FILE]
               Generate a realistic, reproducible history (stdout without --out)
  incident scope --card-from D --card-to D --personal-from D --personal-to D
               [--recipients-from D --recipients-to D] [--channel web,phone,…] [--json] [--out FILE.jsonl]
               Who was exposed, per category, by the rules of the history format`;

/** Standard output (results); messages and refusals go to standard error. */
const say = (line: string) => process.stdout.write(`${line}\n`);

const CHANNELS: OrderChannel[] = ['web', 'phone', 'fax', 'postcard', 'other'];

async function withDb<T>(config: Config, fn: (db: ReturnType<typeof openDatabase>) => Promise<T>): Promise<T> {
  const handle = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(handle.db);
    return await fn(handle);
  } finally {
    await handle.close();
  }
}

/** A file of personal data: readable by the owner only. */
function personalDataFile(path: string): Writable {
  return createWriteStream(path, { mode: 0o600 });
}

async function closeOut(out: Writable): Promise<void> {
  // The CLI exits right after: a pipe must have taken everything first.
  if (out === process.stdout) return new Promise((resolve) => process.stdout.write('', () => resolve()));
  out.end();
  await finished(out);
}

export async function importCommand(args: string[], config: Config): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { 'dry-run': { type: 'boolean', default: false }, strict: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    console.error('Usage: npx mamori import FILE.jsonl [--dry-run] [--strict] [--json]');
    return 2;
  }
  if (file !== '-' && !existsSync(file)) {
    console.error(`No such file: ${file}`);
    return 2;
  }
  const input: Readable = file === '-' ? process.stdin : createReadStream(file, { encoding: 'utf8' });
  const started = Date.now();
  const report = await withDb(config, (h) =>
    importHistory(h.db, input, {
      dryRun: values['dry-run'],
      strict: values.strict,
      onRefused: values.json ? undefined : (r) => console.error(`line ${r.line}: refused: ${r.reason}`),
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  if (values.json) say(JSON.stringify({ ...report, seconds }, null, 2));
  else {
    say(
      `${report.lines} lines: ${report.accepted} accepted (new: ${report.inserted.customers} customers, ${report.inserted.orders} orders; ` +
      `already present: ${report.alreadyPresent.customers} customers, ${report.alreadyPresent.orders} orders), ${report.refused} refused. ${seconds.toFixed(1)} s.`,
    );
    if (!report.committed) say(report.dryRun ? 'Dry run: nothing was written.' : 'Some lines were refused and --strict is set: nothing was written.');
  }
  if (!report.committed) return 1;
  return report.refused > 0 ? 3 : 0;
}

export async function exportCommand(args: string[], config: Config): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length > 1) {
    console.error('Usage: npx mamori export [FILE]');
    return 2;
  }
  const out = positionals[0] ? personalDataFile(positionals[0]) : process.stdout;
  const r = await withDb(config, (h) => exportHistory(h.db, out));
  await closeOut(out);
  if (positionals[0]) say(`Exported ${r.customers} customers and ${r.orders} orders to ${positionals[0]}.`);
  return 0;
}

export async function demoHistoryCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      customers: { type: 'string' }, orders: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
      seed: { type: 'string', default: '1' }, out: { type: 'string' },
    },
  });
  const n = (v: string | undefined) => (v !== undefined && /^\d{1,9}$/.test(v) ? Number(v) : null);
  const customers = n(values.customers);
  const orders = n(values.orders);
  const seed = n(values.seed);
  if (customers === null || orders === null || seed === null || !values.from || !values.to || !isIsoDate(values.from) || !isIsoDate(values.to) || values.from > values.to) {
    console.error('Usage: npx mamori demo history --customers N --orders M --from YYYY-MM-DD --to YYYY-MM-DD --seed S [--out FILE]');
    return 2;
  }
  const out = values.out ? personalDataFile(values.out) : process.stdout;
  const r = await generateDemoHistory({ customers, orders, from: values.from, to: values.to, seed }, out);
  await closeOut(out);
  if (values.out) console.error(`Wrote ${r.customers} customers and ${r.orders} orders to ${values.out}.`);
  return 0;
}

function printCounts(c: ScopeCounts): void {
  const w = (x: { from: string; to: string } | null) => (x ? `${x.from} – ${x.to}` : '(none)');
  say(`Card data (${w(c.windows.card)}): ${c.card.persons} persons, ${c.card.payments} payment attempts`);
  say(`Personal data (${w(c.windows.personal)}): ${c.personal.persons} persons (${c.personal.members} members, ${c.personal.guests} guests)`);
  say(`Shipping recipients (${w(c.windows.recipients)}): ${c.recipients.persons}`);
  say(`Total: ${c.total.persons} (${c.total.personsExcludingRecipients} persons + ${c.recipients.persons} recipients)${c.channels ? `; channels: ${c.channels.join(', ')}` : ''}`);
}

export async function incidentCommand(args: string[], config: Config): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'scope') {
    console.error(`Unknown incident command: ${sub ?? ''}\n\nUsage:\n${INCIDENT_HELP}`);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      'card-from': { type: 'string' }, 'card-to': { type: 'string' },
      'personal-from': { type: 'string' }, 'personal-to': { type: 'string' },
      'recipients-from': { type: 'string' }, 'recipients-to': { type: 'string' },
      channel: { type: 'string' }, json: { type: 'boolean', default: false }, out: { type: 'string' },
    },
  });
  let windows: ScopeWindows;
  let channels: OrderChannel[] | null = null;
  try {
    windows = {
      card: parseDayWindow(values['card-from'], values['card-to'], 'card'),
      personal: parseDayWindow(values['personal-from'], values['personal-to'], 'personal'),
    };
    const recipients = parseDayWindow(values['recipients-from'], values['recipients-to'], 'recipients');
    if (recipients) windows.recipients = recipients;
    if (!windows.card && !windows.personal) throw new Error('Give at least one window: --card-from/--card-to or --personal-from/--personal-to.');
    if (values.channel !== undefined) {
      channels = values.channel.split(',').map((s) => s.trim()) as OrderChannel[];
      const bad = channels.find((c) => !CHANNELS.includes(c));
      if (bad !== undefined || channels.length === 0) throw new Error(`--channel takes ${CHANNELS.join(', ')} (comma-separated).`);
    }
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 2;
  }
  const counts = await withDb(config, async (h) => {
    if (!values.out) return scopeCounts(h.db, windows, { channels });
    const out = personalDataFile(values.out);
    const c = await scopeWithEntries(h.db, windows, { channels }, out);
    await closeOut(out);
    return c;
  });
  if (values.json) say(JSON.stringify(counts));
  else {
    printCounts(counts);
    if (values.out) say(`One line per person and recipient: ${values.out}`);
  }
  return 0;
}
