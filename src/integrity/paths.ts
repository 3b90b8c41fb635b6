import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * What the running shop loads or serves, as paths relative to the project root (always with `/`),
 * which of those changes are ignored, and how a change is judged. Shared by the release manifest,
 * the start-up verification and the file watcher so that all three see exactly the same files.
 */

/** Where the running code comes from: `dist/` (compiled, NODE_ENV=production) or `src/` + `psp/` through tsx. */
export type Runtime = 'dist' | 'src';

export type ChangeType = 'modified' | 'added' | 'removed';

/** The alert kinds of the file checks (see docs/integrity.md). */
export type FileAlertKind = 'payment_code_changed' | 'file_added' | 'code_changed' | 'file_changed';

/** The directory holding package.json, found upwards from this module (src/integrity or dist/src/integrity). */
export function findProjectRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'package-lock.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`No package.json above ${from}`);
    dir = up;
  }
}

/** What this process runs from: compiled modules live under `dist/`. */
export function runningFrom(moduleUrl: string = import.meta.url): Runtime {
  return /[/\\]dist[/\\]src[/\\]integrity[/\\][^/\\]+\.js$/.test(fileURLToPath(moduleUrl)) ? 'dist' : 'src';
}

/** `release sign` covers the compiled code when there is a build, else the TypeScript sources. */
export function defaultSignRuntime(root: string): Runtime {
  return existsSync(join(root, 'dist', 'src', 'app', 'cli.js')) ? 'dist' : 'src';
}

/** The file that must be covered for a manifest to describe the code of a runtime. */
export function runtimeEntry(runtime: Runtime): string {
  return runtime === 'dist' ? 'dist/src/app/cli.js' : 'src/app/cli.ts';
}

export const STATIC_ROOTS = ['src/web/static', 'src/admin/static'] as const;

export interface ReleaseRoots {
  runtime: Runtime;
  /** Directories and single files, relative, sorted. Package directories are `node_modules/<name>`. */
  roots: string[];
  /** Optional packages in package-lock.json that are not installed on this platform (listed, not hidden). */
  skippedOptional: string[];
}

interface LockEntry {
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  link?: boolean;
}

export class MissingPackagesError extends Error {
  constructor(readonly missing: string[]) {
    super(`package-lock.json lists production packages that are not installed (run npm ci): ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ` … (${missing.length} in all)` : ''}`);
    this.name = 'MissingPackagesError';
  }
}

/**
 * Production packages: every `node_modules/…` entry of package-lock.json without `dev: true`.
 * A missing optional one (another platform's native build) is listed in `skippedOptional`; a
 * missing required one is an error, so nothing is left out silently.
 */
export function productionPackages(root: string, opts: { allowMissing?: boolean } = {}): { packages: string[]; skippedOptional: string[] } {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages?: Record<string, LockEntry> };
  const packages: string[] = [];
  const skippedOptional: string[] = [];
  const missing: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (!path.startsWith('node_modules/') || entry.dev === true || entry.link === true) continue;
    if (existsSync(join(root, path))) packages.push(path);
    else if (entry.optional === true || entry.devOptional === true || opts.allowMissing) skippedOptional.push(path);
    else missing.push(path);
  }
  if (missing.length > 0) throw new MissingPackagesError(missing);
  return { packages: packages.sort(compareText), skippedOptional: skippedOptional.sort(compareText) };
}

/**
 * The roots of a release for a runtime. `allowMissing` (the watcher's start baseline in a
 * development checkout) lists a missing required package as skipped instead of failing.
 */
export function releaseRoots(root: string, runtime: Runtime, opts: { allowMissing?: boolean } = {}): ReleaseRoots {
  const { packages, skippedOptional } = productionPackages(root, opts);
  const code = runtime === 'dist' ? ['dist', ...STATIC_ROOTS] : ['src', 'psp'];
  const roots = [...code, 'bin', 'package.json', 'package-lock.json', ...packages].filter((r) => existsSync(join(root, r)));
  return { runtime, roots: [...new Set(roots)].sort(compareText), skippedOptional };
}

/**
 * Inside a package root, its own `node_modules` directory is not walked: each nested package there
 * is a root of its own when it is a production package (and left out when it is not).
 */
export function skippedDirOf(root: string): string | null {
  return root.startsWith('node_modules/') ? `${root}/node_modules` : null;
}

/** Code-unit order, the same on every machine (never locale order). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

// Editors' working files: vim swap files (.name.swp … .swx) and its write probe "4913", emacs lock
// and autosave files (.#name, #name#), backup files (name~) and JetBrains "safe write" copies.
const EDITOR_TEMP = [/^\..+\.sw[a-px]$/, /^4913$/, /^\.#/, /^#.*#$/, /~$/, /___jb_(tmp|old)___$/];

/**
 * True for an editor's temporary file in the TypeScript sources (`src/`, `psp/`) — a developer
 * editing while the shop runs. Nothing is ignored under `dist/`, `node_modules/`, `bin/` or the
 * static asset directories (a file there is served or loaded as is), and dot-files are never
 * ignored as such: a planted `.shell.js` is reported like any other new file.
 */
export function isIgnoredPath(path: string): boolean {
  if (!(isUnder(path, 'src') || isUnder(path, 'psp'))) return false;
  if (STATIC_ROOTS.some((s) => isUnder(path, s))) return false;
  const name = basename(path);
  return EDITOR_TEMP.some((re) => re.test(name));
}

// The payment path: code that takes the buyer to the provider or shapes the pages on the way there.
const PAYMENT_CODE = [
  /^(dist\/)?src\/payments\//,
  /^(dist\/)?src\/checkout\//,
  /^(dist\/)?psp\//,
  // Layout, page rendering, request context (CSRF) and security headers (CSP) of every shop page.
  /^(dist\/)?src\/web\/[^/]+\.(ts|tsx|js|js\.map)$/,
  // The server wiring that installs the PAN tripwire and the security headers.
  /^(dist\/)?src\/app\/server\.(tsx|js|js\.map)$/,
  // Every script a browser may run (storefront and admin).
  /^(dist\/)?src\/(web|admin)\/static\/.*\.(m?js|cjs)$/,
  // The payment provider SDK.
  /^node_modules\/stripe\//,
];

const CODE_FILE = /\.(m?js|cjs|jsx|ts|tsx|mts|cts|json|node|wasm|sh|map)$/;

export function isPaymentPath(path: string): boolean {
  return PAYMENT_CODE.some((re) => re.test(path));
}

/**
 * How serious a change to one file is:
 * - anything on the payment path (added, changed or removed) → critical `payment_code_changed`;
 * - a new file anywhere else under the roots (a planted web shell) → critical `file_added`;
 * - a changed or removed code file (JS/TS/JSON/native module, anything under bin/) → critical `code_changed`:
 *   every server module can change what the checkout page contains;
 * - any other changed or removed file (CSS, images, fonts, licences, read-me files) → warning `file_changed`.
 */
export function classifyChange(path: string, change: ChangeType): { severity: 'critical' | 'warning'; kind: FileAlertKind } {
  if (isPaymentPath(path)) return { severity: 'critical', kind: 'payment_code_changed' };
  if (change === 'added') return { severity: 'critical', kind: 'file_added' };
  if (isUnder(path, 'bin') || CODE_FILE.test(path)) return { severity: 'critical', kind: 'code_changed' };
  return { severity: 'warning', kind: 'file_changed' };
}
