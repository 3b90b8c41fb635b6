import { createHash, type KeyObject } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { RaiseAlert } from '../alerts/service.js';
import { silentLogger, type IntegrityLogger } from './logger.js';
import { isNotFound, readRelease, verifyManifestSignature } from './manifest.js';

export interface ReleaseGuardOptions {
  alerts: { raise(a: RaiseAlert): Promise<unknown> };
  releaseDir: string;
  /** The key the running shop trusts (loaded at start). */
  publicKey: KeyObject;
  publicKeyFile: string;
  /** A problem must still be there after this delay before it is alerted (default 2 s): a deployment writes manifest.json and manifest.sig one after the other. */
  confirmDelayMs?: number;
  /** Also checked on this period (default 60 s); 0: only on file events and `check()`. */
  intervalMs?: number;
  logger?: IntegrityLogger;
}

export interface ReleaseGuard {
  /** Checks now; resolves with the problem found (and alerted), or null. */
  check(): Promise<string | null>;
  close(): Promise<void>;
}

async function fileHash(path: string): Promise<string | null> {
  try {
    return createHash('sha256').update(await readFile(path)).digest('hex');
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/**
 * Watches the trust anchor while the shop runs: the release public key file must stay the key
 * the shop started with, and the manifest on disk must keep verifying with it. Anyone who can write
 * files could otherwise swap in their own key and manifest so that the next restart accepts their
 * code. Either problem is a critical `manifest_failure` (which suspends card payments).
 */
export async function startReleaseGuard(opts: ReleaseGuardOptions): Promise<ReleaseGuard> {
  const log = opts.logger ?? silentLogger;
  const keyHashAtStart = await fileHash(opts.publicKeyFile);
  const watchers: FSWatcher[] = [];
  let closed = false;
  let lastAlerted: string | null = null;
  let timer: NodeJS.Timeout | null = null;
  let interval: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();

  const problem = async (): Promise<{ message: string; evidence: Record<string, unknown> } | null> => {
    const keyNow = await fileHash(opts.publicKeyFile);
    if (keyNow !== keyHashAtStart) {
      return {
        message: `リリース公開鍵ファイルが${keyNow === null ? '削除されました' : '差し替えられました'}（${opts.publicKeyFile}）。攻撃者が自分の鍵とマニフェストで再起動時の検証を通そうとしている可能性があります。`,
        evidence: { file: opts.publicKeyFile, expected: keyHashAtStart, actual: keyNow },
      };
    }
    try {
      const { manifest, signature } = readRelease(opts.releaseDir);
      if (!verifyManifestSignature(manifest, signature, opts.publicKey)) {
        return { message: 'ディスク上のリリースマニフェストが、信頼している公開鍵で検証できなくなりました。', evidence: { releaseDir: opts.releaseDir, problem: 'bad_signature' } };
      }
    } catch (err) {
      return { message: `ディスク上のリリースマニフェストを読めません: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500), evidence: { releaseDir: opts.releaseDir, problem: 'unreadable' } };
    }
    return null;
  };

  const check = async (): Promise<string | null> => {
    let p = await problem();
    if (p && (opts.confirmDelayMs ?? 2000) > 0) {
      await new Promise((r) => setTimeout(r, opts.confirmDelayMs ?? 2000));
      if (closed) return null;
      p = await problem();
    }
    if (!p) {
      lastAlerted = null;
      return null;
    }
    if (lastAlerted !== p.message) {
      lastAlerted = p.message;
      log.warn({ releaseDir: opts.releaseDir }, 'release manifest or key changed while running');
      await opts.alerts.raise({ severity: 'critical', kind: 'manifest_failure', dedupeKey: `manifest_failure:runtime:${createHash('sha256').update(p.message).digest('hex').slice(0, 16)}`, message: p.message, evidence: p.evidence });
    }
    return p.message;
  };

  const schedule = () => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      running = running.then(check).catch((err: unknown) => log.error({ err }, 'release guard check failed'));
    }, 200);
    timer.unref();
  };

  const keyName = basename(opts.publicKeyFile);
  const watchDir = (dir: string, filter: (name: string | null) => boolean) => {
    try {
      const w = watch(dir, { persistent: false }, (_e, name) => {
        if (filter(name === null ? null : name.toString())) schedule();
      });
      w.on('error', () => schedule());
      watchers.push(w);
    } catch {
      // the periodic check still runs
    }
  };
  watchDir(opts.releaseDir, () => true);
  if (dirname(opts.publicKeyFile) !== opts.releaseDir) watchDir(dirname(opts.publicKeyFile), (n) => n === null || n === keyName);
  if ((opts.intervalMs ?? 60_000) > 0) {
    interval = setInterval(schedule, opts.intervalMs ?? 60_000);
    interval.unref();
  }

  return {
    check: () => {
      const r = running.then(check);
      running = r.catch(() => undefined);
      return r;
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (interval) clearInterval(interval);
      for (const w of watchers) w.close();
      await running;
    },
  };
}
