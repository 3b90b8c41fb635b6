import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { RaiseAlert } from '../alerts/service.js';
import { stderrLogger, type IntegrityLogger } from './logger.js';
import { describeDiff, keyFingerprint, loadPublicKey, verifyRelease, type FileDiff, type Manifest } from './manifest.js';
import { findProjectRoot, runningFrom, type Runtime } from './paths.js';

export const DEFAULT_RELEASE_DIR = 'release';
export const DEFAULT_PUBLIC_KEY_FILE = 'release/release-public.pem';

export interface StartupOptions {
  /** Production refuses to start from tampered or unsigned files; development warns. */
  production: boolean;
  /** Project root (default: found from this module). */
  root?: string;
  /** Where manifest.json and manifest.sig are (default `<root>/release`). */
  releaseDir?: string;
  /** MAMORI_RELEASE_PUBLIC_KEY_FILE; relative paths are taken from the project root. */
  publicKeyFile?: string;
  /** What the process runs from (default: detected from this module's location). */
  runtime?: Runtime;
  /**
   * MAMORI_RELEASE_KEY_FINGERPRINT (`SHA256:…`, printed by keygen and sign): when set, the key file
   * must be this key. Kept outside the code directory (service unit, secret store), it stops an
   * attacker who can write files from swapping in their own key and manifest before a restart.
   */
  expectedKeyFingerprint?: string | null;
  logger?: IntegrityLogger;
}

export type StartupStatus = 'verified' | 'unsigned' | 'bad_signature' | 'tampered' | 'wrong_runtime';

export interface StartupResult {
  status: StartupStatus;
  /**
   * The verified manifest the watcher compares against, or null when there is none to trust
   * (development without `release sign`, or a bad signature): the watcher then takes a baseline.
   */
  manifest: Manifest | null;
  /** The differences found at start (development only; production refuses to start instead). */
  diff: FileDiff | null;
  message: string;
  runtime: Runtime;
  root: string;
  releaseDir: string;
  /** The public key file used (absolute). */
  publicKeyFile: string;
  publicKey: KeyObject | null;
  keyFingerprint: string | null;
  durationMs: number;
}

/** Thrown in production: the shop must not run from these files. The message names them. */
export class IntegrityStartError extends Error {
  constructor(
    message: string,
    readonly result: StartupResult,
  ) {
    super(message);
    this.name = 'IntegrityStartError';
  }
}

/**
 * Verifies the signed release manifest before anything else runs (call it before migrations: a
 * tampered migration file must never execute). In production, a missing manifest or key, a bad
 * signature, a manifest that does not cover the running code, or any changed, added or removed
 * file stops the start with an error naming the files. In development the same findings are
 * warnings (`reportStartup` raises them as a `warning` alert once the alert service exists).
 */
export async function verifyAtStart(opts: StartupOptions): Promise<StartupResult> {
  const started = Date.now();
  const log = opts.logger ?? stderrLogger;
  const root = opts.root ?? findProjectRoot();
  const runtime = opts.runtime ?? runningFrom();
  const releaseDir = opts.releaseDir ? resolve(root, opts.releaseDir) : join(root, DEFAULT_RELEASE_DIR);
  const keyFile = resolve(root, opts.publicKeyFile ?? DEFAULT_PUBLIC_KEY_FILE);
  const base = { root, runtime, releaseDir, publicKeyFile: keyFile, diff: null, manifest: null };

  const fail = (status: StartupStatus, message: string, extra: Partial<StartupResult> = {}): StartupResult => {
    const result: StartupResult = { ...base, publicKey: null, keyFingerprint: null, ...extra, status, message, durationMs: Date.now() - started };
    if (opts.production) throw new IntegrityStartError(`Refusing to start: ${message}`, result);
    log.warn({ status, releaseDir, keyFile }, `release integrity: ${message}`);
    return result;
  };

  if (!existsSync(keyFile)) {
    return fail('unsigned', `no release public key at ${keyFile} (set MAMORI_RELEASE_PUBLIC_KEY_FILE; create one with: npx mamori release keygen --out DIR, then npx mamori release sign --key DIR/release-private.pem)`);
  }
  let publicKey: KeyObject;
  try {
    publicKey = loadPublicKey(keyFile);
  } catch (err) {
    return fail('bad_signature', `the release public key ${keyFile} cannot be used: ${err instanceof Error ? err.message : String(err)}`);
  }
  const fp = keyFingerprint(publicKey);
  if (opts.expectedKeyFingerprint && opts.expectedKeyFingerprint.trim() !== fp) {
    return fail('bad_signature', `the release public key ${keyFile} is ${fp}, not the expected ${opts.expectedKeyFingerprint.trim()} (MAMORI_RELEASE_KEY_FINGERPRINT)`);
  }
  const check = await verifyRelease({ root, releaseDir, publicKey, runtime });
  if (check.ok) {
    log.info({ files: check.files, durationMs: check.durationMs, key: fp, createdAt: check.manifest.createdAt }, 'release manifest verified');
    return { ...base, status: 'verified', manifest: check.manifest, publicKey, keyFingerprint: fp, message: `verified ${check.files} files`, durationMs: Date.now() - started };
  }
  const withKey = { publicKey, keyFingerprint: fp };
  switch (check.reason) {
    case 'missing':
    case 'unreadable':
      return fail('unsigned', `${check.message} (sign the release: npx mamori release sign --key …/release-private.pem)`, withKey);
    case 'bad_signature':
      return fail('bad_signature', check.message, withKey);
    case 'wrong_runtime':
      return fail('wrong_runtime', check.message, withKey);
    case 'tampered':
      // In development the signature is good: the watcher keeps comparing with the signed manifest.
      return fail('tampered', `files differ from the signed release manifest — ${describeDiff(check.diff ?? { modified: [], added: [], removed: [] }, check.problems)}`, {
        ...withKey, manifest: check.manifest, diff: check.diff,
      });
  }
}

/**
 * Raises the start-up findings as an alert (development; in production they stopped the start).
 * A missing manifest in development is normal (a checkout without `release sign`): no alert.
 */
export async function reportStartup(result: StartupResult, alerts: { raise(a: RaiseAlert): Promise<unknown> }): Promise<void> {
  if (result.status === 'verified' || result.status === 'unsigned') return;
  const files = result.diff ? [...result.diff.modified, ...result.diff.added, ...result.diff.removed].slice(0, 40) : [];
  await alerts.raise({
    severity: 'warning',
    kind: 'manifest_failure',
    dedupeKey: `manifest_failure:start:${result.status}`,
    message: `起動時の検証で、リリースマニフェストと一致しませんでした（開発モードのため起動を続けます）: ${result.message}`.slice(0, 1000),
    evidence: { status: result.status, runtime: result.runtime, key: result.keyFingerprint, files },
  });
}
