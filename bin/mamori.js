#!/usr/bin/env node
// Entry point of `npx mamori` and `npm start`. Runs the TypeScript sources through tsx, so the
// checkout works without a build step; `npm run build` output is used when NODE_ENV=production.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'src', 'app', 'cli.js');
let entry;
if (process.env.NODE_ENV === 'production' && existsSync(built)) {
  entry = pathToFileURL(built).href;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = pathToFileURL(join(root, 'src', 'app', 'cli.ts')).href;
}
const { main } = await import(entry);
try {
  const code = await main(process.argv.slice(2));
  if (code >= 0) process.exit(code);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
