// `npm run build` runs this after compiling: it renders every payment-path page from a throw-away
// shop (in process) and fails when a page loads a script that is not in the approved inventory
// (src/integrity/script-inventory.json), whose hash differs, or that is inline (PCI DSS 6.4.3).
//
//   node --import tsx scripts/check-script-inventory.ts [--inventory FILE]
//                                                                  check (exit 1 on any problem)
//   node --import tsx scripts/check-script-inventory.ts entry FILE --path /static/js/x.js \
//        --purpose "…" --justification "…" --pages "checkout form,payment step" --approved-by "Name"
//                                                                  print a new inventory entry
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkScriptInventory } from '../src/integrity/payment-pages.js';
import { newInventoryEntry, parseScriptInventory } from '../src/integrity/script-inventory.js';

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'entry') {
    const { values, positionals } = parseArgs({
      args: argv.slice(1), allowPositionals: true,
      options: { path: { type: 'string' }, purpose: { type: 'string' }, justification: { type: 'string' }, pages: { type: 'string' }, 'approved-by': { type: 'string' } },
    });
    const file = positionals[0];
    if (!file || !values.path || !values.purpose || !values.justification || !values.pages || !values['approved-by']) {
      process.stderr.write('Usage: check-script-inventory.ts entry FILE --path URL-PATH --purpose TEXT --justification TEXT --pages "a,b" --approved-by NAME\n');
      return 2;
    }
    const entry = newInventoryEntry({
      path: values.path, source: relative(process.cwd(), resolve(file)), body: readFileSync(file),
      purpose: values.purpose, justification: values.justification, pages: values.pages.split(',').map((p) => p.trim()).filter(Boolean),
      approvedBy: values['approved-by'], approvedAt: new Date().toISOString().slice(0, 10),
    });
    process.stdout.write(`${JSON.stringify(entry, null, 2)}\n`);
    return 0;
  }
  const { values } = parseArgs({ args: argv, options: { inventory: { type: 'string' } } });
  const inventory = values.inventory ? parseScriptInventory(JSON.parse(readFileSync(values.inventory, 'utf8')) as unknown) : undefined;
  const result = await checkScriptInventory({ inventory });
  for (const p of result.pages) process.stdout.write(`  ${String(p.status).padEnd(4)} ${p.name.padEnd(36)} ${p.path}  (${p.scripts} script${p.scripts === 1 ? '' : 's'})\n`);
  if (result.problems.length === 0) {
    process.stdout.write(`script inventory: ${result.pages.length} payment-path pages checked, every script is listed with its hash.\n`);
    return 0;
  }
  process.stderr.write(`\nscript inventory check FAILED (PCI DSS 6.4.3): ${result.problems.length} problem(s)\n`);
  for (const p of result.problems) process.stderr.write(`  ${p.script} on ${p.page} (${p.path}): ${p.problem}\n`);
  process.stderr.write('\nA new or changed script needs an approved entry in src/integrity/script-inventory.json (docs/integrity.md#script-inventory).\n');
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`script inventory check could not run: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
