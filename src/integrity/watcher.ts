import { createHash, type KeyObject } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { RaiseAlert } from '../alerts/service.js';
import { silentLogger, type IntegrityLogger } from './logger.js';
import { isNotFound, readRelease, verifyManifestSignature, walkRoots, type FileChange, type FileDiff, type Manifest } from './manifest.js';
import { classifyChange, compareText, findProjectRoot, isUnder, releaseRoots, runningFrom, skippedDirOf, type ChangeType, type FileAlertKind, type Runtime } from './paths.js';

export interface WatcherOptions {
  alerts: { raise(a: RaiseAlert): Promise<unknown> };
  /** The verified release manifest; null → the files as they are at start are the baseline. */
  manifest: Manifest | null;
  /** Differences already known at start (development with a tampered tree): not alerted again. */
  initialDiff?: FileDiff | null;
  root?: string;
  /** For a baseline: which code to cover (default: what this process runs from). */
  runtime?: Runtime;
  /** Full re-hash period (default 60 s). 0 disables it (tests). */
  rehashIntervalMs?: number;
  /** Quiet time after the last file event before checking (default 200 ms)… */
  debounceMs?: number;
  /** …but never more than this after the first one (default 1000 ms), so a constant stream of events cannot hold an alert back. */
  maxDelayMs?: number;
  /** Watch node_modules packages with file events too (default true; the re-hash covers them either way). */
  watchNodeModules?: boolean;
  /** File events at all (default true). Without them only the periodic re-hash notices changes. */
  fsEvents?: boolean;
  /**
   * The release directory and the trusted public key: a changed file that matches a newer,
   * validly signed manifest on disk is a deployment in progress — a warning asking for a restart,
   * not a critical alert.
   */
  release?: { dir: string; publicKey: KeyObject } | null;
  logger?: IntegrityLogger;
}

export interface DetectedChange extends FileChange {
  change: ChangeType;
  severity: 'critical' | 'warning';
  kind: FileAlertKind | 'release_changed_on_disk';
  detectedBy: 'fs-event' | 'rehash';
}

export interface FileWatcher {
  readonly mode: 'manifest' | 'baseline';
  /** Files compared against. */
  readonly expectedFiles: number;
  /** Directories with an fs watch. */
  readonly watchedDirs: () => number;
  /** A full re-hash now; resolves with the changes it reported (alerts are raised before it resolves). */
  checkNow(): Promise<DetectedChange[]>;
  /** Resolves once every pending check has run (tests). */
  idle(): Promise<void>;
  /** Files that differ from the manifest right now (as of the last check): path, expected, actual. */
  outstanding(): FileChange[];
  /** Called with every batch of reported changes (the drills measure time to alert with it). */
  onReport(listener: (changes: DetectedChange[]) => void): void;
  close(): Promise<void>;
}

const CHANGE_JA: Record<ChangeType, string> = { modified: '変更', added: '追加', removed: '削除' };
const KIND_JA: Record<DetectedChange['kind'], string> = {
  payment_code_changed: '決済経路のファイルが改ざんされた可能性があります',
  file_added: 'コード領域に新しいファイルが置かれました（Webシェルの可能性があります）',
  code_changed: 'サーバーのコードが変更されました',
  file_changed: '配信ファイルが変更されました',
  release_changed_on_disk: '新しい署名済みリリースのファイルが配置されました。再起動して新しいリリースに切り替えてください',
};
const MAX_EVIDENCE_FILES = 40;

/**
 * Watches every directory under the code and asset roots (one non-recursive fs.watch per
 * directory: events arrive by file name, so a file replaced by rename — how editors and `cp` write —
 * is seen, which Node 20's own recursive mode on Linux misses after the first replacement), and
 * re-hashes everything periodically. Any changed, added or removed file compared with the
 * manifest (or the start baseline) raises an alert with the path and the expected and actual
 * SHA-256 — never the contents.
 */
export async function startFileWatcher(opts: WatcherOptions): Promise<FileWatcher> {
  const log = opts.logger ?? silentLogger;
  const root = opts.root ?? findProjectRoot();
  const debounceMs = opts.debounceMs ?? 200;
  const maxDelayMs = opts.maxDelayMs ?? 1000;
  const rehashMs = opts.rehashIntervalMs ?? 60_000;
  const watchNodeModules = opts.watchNodeModules ?? true;
  const fsEvents = opts.fsEvents ?? true;

  let roots: string[];
  const expected = new Map<string, string>();
  let mode: 'manifest' | 'baseline';
  if (opts.manifest) {
    mode = 'manifest';
    roots = opts.manifest.roots;
    for (const [p, h] of Object.entries(opts.manifest.files)) expected.set(p, h);
  } else {
    mode = 'baseline';
    roots = releaseRoots(root, opts.runtime ?? runningFrom(), { allowMissing: true }).roots;
    const base = await walkRoots(root, roots);
    for (const [p, h] of base.files) expected.set(p, h);
    if (base.problems.length) log.warn({ problems: base.problems.slice(0, 20) }, 'file watcher: some files could not be read for the baseline');
    log.info({ files: expected.size }, 'file watcher: no signed release manifest, watching against a baseline taken now');
  }
  const manifestCreatedAt = opts.manifest?.createdAt ?? null;
  const fileRoots = new Set<string>();

  /** Path → what was last reported for it (null: removed). Cleared when the file is back as expected. */
  const reported = new Map<string, string | null>();
  for (const c of [...(opts.initialDiff?.modified ?? []), ...(opts.initialDiff?.added ?? []), ...(opts.initialDiff?.removed ?? [])]) reported.set(c.path, c.actual);

  const watchers = new Map<string, FSWatcher>();
  const listeners: ((c: DetectedChange[]) => void)[] = [];
  let closed = false;
  let chain: Promise<unknown> = Promise.resolve();
  const dirty = new Set<string>();
  let flushTimer: NodeJS.Timeout | null = null;
  let firstDirtyAt = 0;
  let rehashTimer: NodeJS.Timeout | null = null;

  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn);
    chain = run.catch((err: unknown) => log.error({ err }, 'file watcher: check failed'));
    return run;
  };

  // The innermost root: a nested package (node_modules/a/node_modules/b) is its own root inside its parent's.
  const byDepth = [...roots].sort((a, b) => b.length - a.length);
  const rootOf = (path: string): string | undefined => byDepth.find((r) => isUnder(path, r));

  // --- fs events ------------------------------------------------------------------------------
  const scheduleFlush = () => {
    if (closed) return;
    const now = Date.now();
    if (!flushTimer) firstDirtyAt = now;
    else clearTimeout(flushTimer);
    const wait = Math.max(0, Math.min(debounceMs, firstDirtyAt + maxDelayMs - now));
    flushTimer = setTimeout(() => {
      flushTimer = null;
      const paths = [...dirty];
      dirty.clear();
      void serial(() => checkPaths(paths)).catch(() => undefined);
    }, wait);
    flushTimer.unref();
  };

  const onEvent = (dir: string, filename: string | Buffer | null) => {
    if (closed) return;
    const name = filename === null ? null : filename.toString();
    if (dir === '') {
      if (name !== null && fileRoots.has(name)) dirty.add(name);
      else if (name === null) for (const f of fileRoots) dirty.add(f);
      else return;
    } else {
      dirty.add(name === null ? dir : `${dir}/${name}`);
    }
    scheduleFlush();
  };

  const watchDir = (dir: string): void => {
    if (closed || !fsEvents || watchers.has(dir)) return;
    try {
      const w = watch(join(root, dir), { persistent: false }, (_event, filename) => onEvent(dir, filename));
      w.on('error', () => {
        // The directory went away (or the watch limit was hit): check it, the re-hash covers the rest.
        w.close();
        watchers.delete(dir);
        if (dir !== '') {
          dirty.add(dir);
          scheduleFlush();
        }
      });
      watchers.set(dir, w);
    } catch (err) {
      if (!isNotFound(err)) log.warn({ dir, code: (err as { code?: string }).code }, 'file watcher: cannot watch a directory; the periodic re-hash still covers it');
    }
  };

  /** Watches `dir` and every directory below it that belongs to the roots. */
  const watchTree = async (dir: string): Promise<void> => {
    if (closed || !fsEvents || !inScopeDir(dir)) return;
    watchDir(dir);
    let entries;
    try {
      entries = await readdir(join(root, dir), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) await watchTree(`${dir}/${e.name}`);
  };
  const inScopeDir = (dir: string): boolean => {
    const r = rootOf(dir);
    if (r === undefined) return false;
    if (!watchNodeModules && r.startsWith('node_modules/')) return false;
    const skip = skippedDirOf(r);
    return !(skip && isUnder(dir, skip));
  };
  const unwatchTree = (dir: string) => {
    for (const [d, w] of watchers) {
      if (d !== '' && isUnder(d, dir)) {
        w.close();
        watchers.delete(d);
      }
    }
  };

  // --- comparing ------------------------------------------------------------------------------
  /** New differences between `current` and the expected files, for the expected paths `scope` selects. */
  const compare = (current: ReadonlyMap<string, string>, scope: (p: string) => boolean, detectedBy: DetectedChange['detectedBy']): DetectedChange[] => {
    const out: DetectedChange[] = [];
    const consider = (path: string) => {
      const exp = expected.get(path) ?? null;
      const act = current.get(path) ?? null;
      if (exp === act) {
        reported.delete(path);
        return;
      }
      if (reported.has(path) && reported.get(path) === act) return;
      reported.set(path, act);
      const change: ChangeType = exp === null ? 'added' : act === null ? 'removed' : 'modified';
      out.push({ path, expected: exp, actual: act, change, ...classifyChange(path, change), detectedBy });
    };
    for (const p of expected.keys()) if (scope(p)) consider(p);
    for (const p of current.keys()) if (!expected.has(p)) consider(p);
    // A file that had been reported as added and is gone again is back to normal.
    for (const p of [...reported.keys()]) if (!expected.has(p) && !current.has(p) && scope(p)) reported.delete(p);
    return out.sort((a, b) => compareText(a.path, b.path));
  };

  const checkPaths = async (paths: string[]): Promise<DetectedChange[]> => {
    if (closed) return [];
    // A path under another dirty path is covered by that one's rescan.
    const all = new Set(paths);
    const tops = [...all].sort(compareText).filter((p) => {
      for (let i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) if (all.has(p.slice(0, i))) return false;
      return true;
    });
    const found: DetectedChange[] = [];
    for (const p of tops) {
      if (rootOf(p) === undefined) continue;
      let isDir = false;
      try {
        isDir = (await lstat(join(root, p))).isDirectory();
      } catch (err) {
        if (!isNotFound(err)) throw err;
        unwatchTree(p);
      }
      if (isDir) await watchTree(p);
      const { files } = await walkRoots(root, roots, { under: p, concurrency: 8 });
      found.push(...compare(files, (x) => isUnder(x, p), 'fs-event'));
    }
    await report(found);
    return found;
  };

  const fullCheck = async (): Promise<DetectedChange[]> => {
    if (closed) return [];
    const { files, problems } = await walkRoots(root, roots, { concurrency: 16 });
    if (problems.length) log.warn({ problems: problems.slice(0, 20) }, 'file watcher: some files could not be read');
    const found = compare(files, () => true, 'rehash');
    // Directories created while a watch was being set up, or after a watch error, get one now.
    for (const r of roots) {
      try {
        if ((await lstat(join(root, r))).isDirectory()) await watchTree(r);
      } catch {
        // a missing root is reported through its files
      }
    }
    await report(found);
    return found;
  };

  // --- alerting -------------------------------------------------------------------------------
  /** Changes that a newer, validly signed manifest on disk explains: a release being deployed. */
  const authorisedByNewRelease = (changes: DetectedChange[]): Set<string> => {
    const ok = new Set<string>();
    if (!opts.release || changes.length === 0) return ok;
    try {
      const { manifest, signature } = readRelease(opts.release.dir);
      if (!verifyManifestSignature(manifest, signature, opts.release.publicKey)) return ok;
      if (manifestCreatedAt !== null && manifest.createdAt <= manifestCreatedAt) return ok;
      for (const c of changes) {
        const inNew = Object.hasOwn(manifest.files, c.path) ? manifest.files[c.path]! : null;
        if (inNew === c.actual) ok.add(c.path);
      }
    } catch {
      // no readable newer release: nothing is authorised
    }
    return ok;
  };

  const report = async (changes: DetectedChange[]): Promise<void> => {
    if (changes.length === 0) return;
    const authorised = authorisedByNewRelease(changes);
    for (const c of changes) {
      if (authorised.has(c.path)) {
        c.kind = 'release_changed_on_disk';
        c.severity = 'warning';
      }
    }
    const groups = new Map<DetectedChange['kind'], DetectedChange[]>();
    for (const c of changes) groups.set(c.kind, [...(groups.get(c.kind) ?? []), c]);
    for (const l of listeners) {
      try {
        l(changes);
      } catch {
        // a listener's problem is not the watcher's
      }
    }
    for (const [kind, list] of groups) {
      const severity = list.some((c) => c.severity === 'critical') ? 'critical' : 'warning';
      const names = list.map((c) => `${c.path}（${CHANGE_JA[c.change]}）`);
      const key = list.length === 1 ? list[0]!.path : createHash('sha256').update(list.map((c) => c.path).join('\n')).digest('hex').slice(0, 16);
      log.warn({ kind, severity, files: list.slice(0, 10).map((c) => ({ path: c.path, change: c.change })) }, 'file integrity: change detected');
      try {
        await opts.alerts.raise({
          severity,
          kind,
          dedupeKey: `${kind}:${key}`,
          message: `${KIND_JA[kind]}: ${names.slice(0, 3).join('、')}${list.length > 3 ? ` ほか${list.length - 3}件` : ''}`.slice(0, 1000),
          evidence: {
            files: list.slice(0, MAX_EVIDENCE_FILES).map((c) => ({ path: c.path, change: c.change, expected: c.expected, actual: c.actual })),
            more: Math.max(0, list.length - MAX_EVIDENCE_FILES),
            comparedWith: mode === 'manifest' ? `signed release manifest ${manifestCreatedAt}` : 'baseline taken at start (no signed manifest)',
            detectedBy: list[0]!.detectedBy,
          },
        });
      } catch (err) {
        log.error({ err, kind }, 'file watcher: could not raise the alert');
      }
    }
  };

  // --- start ----------------------------------------------------------------------------------
  for (const r of roots) {
    let st;
    try {
      st = await lstat(join(root, r));
    } catch {
      continue;
    }
    if (st.isDirectory()) await watchTree(r);
    else if (!r.includes('/')) fileRoots.add(r);
  }
  if (fileRoots.size > 0) watchDir('');
  if (rehashMs > 0) {
    const tick = () => {
      rehashTimer = setTimeout(() => {
        void serial(fullCheck)
          .catch(() => undefined)
          .finally(() => {
            if (!closed) tick();
          });
      }, rehashMs);
      rehashTimer.unref();
    };
    tick();
  }
  log.info({ mode, files: expected.size, watchedDirs: watchers.size, rehashMs }, 'file watcher started');

  return {
    mode,
    expectedFiles: expected.size,
    watchedDirs: () => watchers.size,
    checkNow: () => serial(fullCheck),
    idle: async () => {
      while (flushTimer) await new Promise((r) => setTimeout(r, 20));
      await chain;
    },
    onReport: (l) => listeners.push(l),
    outstanding: () => [...reported].map(([path, actual]) => ({ path, expected: expected.get(path) ?? null, actual })).sort((a, b) => compareText(a.path, b.path)),
    async close() {
      closed = true;
      if (flushTimer) clearTimeout(flushTimer);
      if (rehashTimer) clearTimeout(rehashTimer);
      flushTimer = null;
      rehashTimer = null;
      for (const w of watchers.values()) w.close();
      watchers.clear();
      dirty.clear();
      await chain;
    },
  };
}
