import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import type { RaiseAlert } from '../../src/alerts/service.js';
import { openDatabase, type Db, type DbHandle } from '../../src/db/index.js';
import { allMigrations } from '../../src/db/migrate.js';
import { migrations as integrityMigrations } from '../../src/integrity/migrations.js';
import { freshPgSchema, type Dialect } from '../helpers/shop.js';

/**
 * A database with every domain's migrations plus the integrity ones (until the lead lists
 * `0090_integrity` in src/db/migrate.ts, migrateToLatest alone does not create our tables).
 */
export async function openIntegrityDb(dialect: Dialect = 'sqlite'): Promise<DbHandle & { dir: string; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'mamori-integrity-db-'));
  let url: string | null = null;
  let drop: (() => Promise<void>) | null = null;
  if (dialect === 'postgres') {
    const s = await freshPgSchema();
    url = s.url;
    drop = s.drop;
  }
  const handle = openDatabase({ databaseUrl: url, dataDir: dir });
  await migrateWithIntegrity(handle.db, dialect);
  return {
    ...handle,
    dir,
    async cleanup() {
      await handle.close();
      await drop?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Applies every migration plus `0090_integrity` (a superset of migrateToLatest's list, so it can run after it). */
export async function migrateWithIntegrity(db: Db, dialect: Dialect): Promise<void> {
  const all: Record<string, Migration> = { ...allMigrations, ...integrityMigrations };
  const provider: MigrationProvider = { getMigrations: async () => all };
  let migrationTableSchema: string | undefined;
  if (dialect === 'postgres') migrationTableSchema = (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s;
  const { error } = await new Migrator({ db, provider, migrationTableSchema }).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}

/** Writes files (relative path → contents) under a directory, creating folders. */
export function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
}

/**
 * A small shop-shaped project: sources, psp, static assets, bin, a compiled dist/, and node_modules
 * with a production package (with a nested production package), a dev-only package and an optional
 * package of another platform that is not installed.
 */
export function makeProjectTree(opts: { dist?: boolean } = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'mamori-integrity-tree-'));
  const lock = {
    name: 'shop', version: '1.0.0', lockfileVersion: 3, requires: true,
    packages: {
      '': { name: 'shop', version: '1.0.0', dependencies: { prodpkg: '^1.0.0' }, devDependencies: { devpkg: '^1.0.0' } },
      'node_modules/prodpkg': { version: '1.0.0' },
      'node_modules/prodpkg/node_modules/nested': { version: '2.0.0' },
      'node_modules/devpkg': { version: '1.0.0', dev: true },
      'node_modules/@scope/native-other-os': { version: '1.0.0', optional: true },
    },
  };
  writeTree(root, {
    'package.json': JSON.stringify({ name: 'shop', version: '1.0.0', type: 'module' }),
    'package-lock.json': JSON.stringify(lock, null, 2),
    'bin/mamori.js': '#!/usr/bin/env node\nconsole.log("hi");\n',
    'src/app/cli.ts': 'export const main = () => 0;\n',
    'src/app/services.ts': 'export const services = {};\n',
    'src/payments/service.ts': 'export const pay = () => "redirect";\n',
    'src/checkout/views.tsx': 'export const View = () => null;\n',
    'src/web/layout.tsx': 'export const Layout = () => null;\n',
    'src/web/static/js/shop.js': 'console.log("shop");\n',
    'src/web/static/css/shop.css': 'body { color: black; }\n',
    'src/admin/static/admin.js': 'console.log("admin");\n',
    'src/catalog/views.tsx': 'export const Product = () => null;\n',
    'src/catalog/README.md': '# catalog\n',
    'psp/server.ts': 'export const psp = 1;\n',
    'node_modules/prodpkg/package.json': '{"name":"prodpkg","main":"index.js"}',
    'node_modules/prodpkg/index.js': 'module.exports = 1;\n',
    'node_modules/prodpkg/.npmignore': 'test\n',
    'node_modules/prodpkg/node_modules/nested/index.js': 'module.exports = 2;\n',
    'node_modules/devpkg/index.js': 'module.exports = "dev";\n',
    'docs/readme.md': 'not covered\n',
  });
  if (opts.dist) {
    writeTree(root, {
      'dist/src/app/cli.js': 'export const main = () => 0;\n',
      'dist/src/payments/service.js': 'export const pay = () => "redirect";\n',
      'dist/src/web/static/js/shop.js': 'console.log("shop");\n',
      'dist/psp/server.js': 'export const psp = 1;\n',
    });
  }
  return root;
}

export interface RecordedAlert extends RaiseAlert {
  at: number;
}

/** Stands in for AlertService where only the raised alerts matter. */
export class RecordingAlerts {
  readonly raised: RecordedAlert[] = [];
  private waiters: { pred: (a: RecordedAlert) => boolean; resolve: (a: RecordedAlert) => void }[] = [];

  async raise(a: RaiseAlert): Promise<RecordedAlert> {
    const rec = { ...a, at: Date.now() };
    this.raised.push(rec);
    for (const w of [...this.waiters]) {
      if (w.pred(rec)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(rec);
      }
    }
    return rec;
  }

  /** The first alert from index `from` on (already raised or still to come) that matches, or a rejection after `timeoutMs`. */
  waitFor(pred: (a: RecordedAlert) => boolean, timeoutMs = 6000, from = 0): Promise<RecordedAlert> {
    const seen = this.raised.slice(from).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (a: RecordedAlert) => {
          clearTimeout(timer);
          resolve(a);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`no matching alert within ${timeoutMs} ms (raised: ${this.raised.map((r) => r.kind).join(', ') || 'none'})`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }
}

/** Files of an alert's evidence (the watcher's shape). */
export function evidenceFiles(a: RaiseAlert): { path: string; change: string; expected: string | null; actual: string | null }[] {
  return ((a.evidence as { files?: { path: string; change: string; expected: string | null; actual: string | null }[] } | undefined)?.files) ?? [];
}
