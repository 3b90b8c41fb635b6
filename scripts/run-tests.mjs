#!/usr/bin/env node
// Runs every test file under test/ with Node's test runner (Node 20 has no glob support in --test).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const only = process.argv.slice(2);
const roots = only.length > 0 ? only : ['test'];
const files = [];
const walk = (p) => {
  if (statSync(p).isDirectory()) {
    for (const name of readdirSync(p).sort()) walk(join(p, name));
  } else if (p.endsWith('.test.ts')) {
    files.push(p);
  }
};
for (const r of roots) walk(r);
const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(res.status ?? 1);
