import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Services } from '../app/services.js';
import { computeFingerprint, fingerprintEnvironment, recordAuditedFingerprint, SettingsFingerprintMonitor, type FingerprintComponents } from './fingerprint.js';
import {
  buildManifest, describeDiff, generateReleaseKeys, keyFingerprint, loadPrivateKey, loadPublicKey, PUBLIC_KEY_FILE, signManifest,
  verifyManifestSignature, verifyRelease, writeRelease,
} from './manifest.js';
import { defaultSignRuntime, findProjectRoot, isUnder, releaseRoots, type Runtime } from './paths.js';
import { DEFAULT_PUBLIC_KEY_FILE, DEFAULT_RELEASE_DIR } from './startup.js';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const stdio: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export const RELEASE_HELP = `npx mamori release <command>

  keygen --out DIR [--force]
      Create an Ed25519 release key pair: DIR/release-private.pem (0600, keep it off the server)
      and DIR/release-public.pem (the only key the shop needs).
  sign --key PRIVATE.pem [--out DIR] [--runtime dist|src] [--root DIR]
      Hash every file the shop loads or serves and write DIR/manifest.json + DIR/manifest.sig
      (DIR defaults to release/). Run it after npm run build.
  verify [--public-key PUB.pem] [--dir DIR] [--root DIR]
      Check the signature and every file; list changed, added and removed files.`;

export interface ReleaseCliConfig {
  /** MAMORI_RELEASE_PUBLIC_KEY_FILE (relative to the project root). */
  releasePublicKeyFile?: string | null;
  /** Project root (default: found from this module). */
  root?: string;
  /** Output (default stdout/stderr). */
  io?: CliIo;
}

/** `npx mamori release keygen|sign|verify`. Returns the exit code. */
export async function releaseCommand(args: string[], config: ReleaseCliConfig = {}): Promise<number> {
  const { out, err } = config.io ?? stdio;
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'keygen': {
        const { values } = parseArgs({ args: rest, options: { out: { type: 'string' }, force: { type: 'boolean', default: false } } });
        if (!values.out) {
          err('Usage: npx mamori release keygen --out DIR');
          return 2;
        }
        const k = await generateReleaseKeys(resolve(values.out), { force: values.force });
        out(`Private key: ${k.privateFile} (0600) — keep it on the build machine or offline, never on the shop server.`);
        out(`Public key:  ${k.publicFile}`);
        out(`Fingerprint: ${k.fingerprint}`);
        out(`Install the public key as ${DEFAULT_PUBLIC_KEY_FILE} (or set MAMORI_RELEASE_PUBLIC_KEY_FILE).`);
        return 0;
      }
      case 'sign': {
        const { values } = parseArgs({
          args: rest,
          options: { key: { type: 'string' }, out: { type: 'string' }, runtime: { type: 'string' }, root: { type: 'string' } },
        });
        if (!values.key) {
          err('Usage: npx mamori release sign --key PRIVATE.pem [--out DIR] [--runtime dist|src]');
          return 2;
        }
        if (values.runtime !== undefined && values.runtime !== 'dist' && values.runtime !== 'src') {
          err('--runtime must be dist or src');
          return 2;
        }
        const root = values.root ? resolve(values.root) : (config.root ?? findProjectRoot());
        const keyFile = resolve(values.key);
        const mode = statSync(keyFile).mode & 0o077;
        if (mode !== 0) err(`Warning: ${keyFile} is readable by other users (chmod 600 it).`);
        const privateKey = loadPrivateKey(keyFile);
        const runtime: Runtime = (values.runtime as Runtime | undefined) ?? defaultSignRuntime(root);
        const { roots, skippedOptional } = releaseRoots(root, runtime);
        const outDir = values.out ? resolve(values.out) : join(root, DEFAULT_RELEASE_DIR);
        const outRel = relative(root, outDir).split('\\').join('/');
        if (roots.some((r) => isUnder(outRel, r))) {
          err(`${outDir} is inside the files the manifest covers; choose another --out.`);
          return 2;
        }
        const started = Date.now();
        const manifest = await buildManifest(root, runtime, roots);
        const signature = signManifest(manifest, privateKey);
        if (!verifyManifestSignature(manifest, signature, privateKey)) throw new Error('the new signature does not verify');
        await writeRelease(outDir, manifest, signature);
        const fp = keyFingerprint(privateKey);
        out(`Signed ${Object.keys(manifest.files).length} files (${runtime === 'dist' ? 'compiled dist/' : 'TypeScript sources'}, ${roots.length} roots) in ${Date.now() - started} ms.`);
        out(`Manifest: ${join(outDir, 'manifest.json')}, signature: ${join(outDir, 'manifest.sig')}`);
        out(`Key: ${fp}`);
        if (skippedOptional.length) out(`Optional packages not installed on this platform (not in the manifest): ${skippedOptional.length} — ${skippedOptional.join(', ')}`);
        const pubFile = resolve(root, config.releasePublicKeyFile ?? DEFAULT_PUBLIC_KEY_FILE);
        try {
          const installed = keyFingerprint(loadPublicKey(pubFile));
          if (installed !== fp) err(`Warning: ${pubFile} is a different key (${installed}); the shop will refuse this release until the matching public key is installed.`);
        } catch {
          out(`No public key at ${pubFile} yet: install ${PUBLIC_KEY_FILE} there (or set MAMORI_RELEASE_PUBLIC_KEY_FILE).`);
        }
        return 0;
      }
      case 'verify': {
        const { values } = parseArgs({ args: rest, options: { 'public-key': { type: 'string' }, dir: { type: 'string' }, root: { type: 'string' } } });
        const root = values.root ? resolve(values.root) : (config.root ?? findProjectRoot());
        const pubFile = values['public-key'] ? resolve(values['public-key']) : resolve(root, config.releasePublicKeyFile ?? DEFAULT_PUBLIC_KEY_FILE);
        const publicKey = loadPublicKey(pubFile);
        const releaseDir = values.dir ? resolve(values.dir) : join(root, DEFAULT_RELEASE_DIR);
        const r = await verifyRelease({ root, releaseDir, publicKey });
        if (r.ok) {
          out(`OK: signature valid (${keyFingerprint(publicKey)}), ${r.files} files match the manifest of ${r.manifest.createdAt} (${r.durationMs} ms).`);
          return 0;
        }
        if (r.reason !== 'tampered' || !r.diff) {
          err(`FAILED: ${r.message}`);
          return 1;
        }
        out(`Signature valid (${keyFingerprint(publicKey)}), manifest of ${r.manifest?.createdAt ?? '?'}.`);
        err(`FAILED: files differ from the signed manifest (${r.durationMs} ms).`);
        for (const c of r.diff.modified) out(`  changed  ${c.path}  expected ${c.expected}  actual ${c.actual}`);
        for (const c of r.diff.added) out(`  added    ${c.path}  actual ${c.actual}`);
        for (const c of r.diff.removed) out(`  removed  ${c.path}  expected ${c.expected}`);
        for (const p of r.problems) out(`  unreadable ${p}`);
        return 1;
      }
      default:
        err(sub ? `Unknown release command: ${sub}\n\n${RELEASE_HELP}` : RELEASE_HELP);
        return sub ? 2 : 0;
    }
  } catch (e) {
    err(e instanceof Error ? e.message : String(e));
    return 1;
  }
}

export const INTEGRITY_HELP = `npx mamori integrity <command>

  check
      Compare the settings fingerprint (payment provider, payment and bank settings, admin
      allow-list, staff) with the last audited record, and verify the release manifest.
  accept-settings --reason "…"
      Record the current settings as expected (after a deliberate change of the environment, for
      example PAYMENT_PROVIDER or ADMIN_ALLOW_CIDRS). Written to the audit log.`;

export type IntegrityCliServices = Pick<Services, 'handle' | 'audit' | 'config' | 'payments' | 'alerts'>;

/** `npx mamori integrity check|accept-settings`. Returns the exit code. */
export async function integrityCommand(args: string[], services: IntegrityCliServices, config: ReleaseCliConfig = {}): Promise<number> {
  const { out, err } = config.io ?? stdio;
  const [sub, ...rest] = args;
  const env = fingerprintEnvironment(services.config, services.payments.providerOrigin);
  const db = services.handle.db;
  try {
    switch (sub) {
      case 'check': {
        parseArgs({ args: rest, options: {} });
        const monitor = new SettingsFingerprintMonitor({ db, alerts: services.alerts, env, confirmDelayMs: 0 });
        const r = await monitor.check();
        let code = 0;
        if (r.ok) out(`Settings fingerprint: OK (${r.fingerprint.slice(0, 16)}…${r.baselined ? ', baseline recorded now' : ''})`);
        else {
          code = 1;
          out(`Settings fingerprint: ${r.problem}${r.changed.length ? ` (${r.changed.join(', ')})` : ''} — a critical alert was raised.`);
        }
        const root = config.root ?? findProjectRoot();
        const pubFile = resolve(root, config.releasePublicKeyFile ?? DEFAULT_PUBLIC_KEY_FILE);
        try {
          const v = await verifyRelease({ root, releaseDir: join(root, DEFAULT_RELEASE_DIR), publicKey: loadPublicKey(pubFile) });
          if (v.ok) out(`Release manifest: OK (${v.files} files)`);
          else {
            code = 1;
            out(`Release manifest: ${v.reason}: ${v.diff ? describeDiff(v.diff, v.problems) : v.message}`);
          }
        } catch (e) {
          out(`Release manifest: not checked (${e instanceof Error ? e.message : String(e)})`);
        }
        return code;
      }
      case 'accept-settings': {
        const { values } = parseArgs({ args: rest, options: { reason: { type: 'string' } } });
        if (!values.reason?.trim()) {
          err('A reason is required: --reason "…"');
          return 2;
        }
        const actor = `cli:${userInfo().username}`;
        const before = await db.transaction().execute(async (trx) => {
          const current = await computeFingerprint(trx, env);
          const row = await recordAuditedFingerprint(trx, values.reason!, { source: 'accepted', env });
          await services.audit.append({ actor, action: 'integrity.settings_accepted', target: row.id, detail: { fingerprint: row.fingerprint, components: current.components as FingerprintComponents, reason: values.reason } }, trx);
          return row;
        });
        out(`Recorded the current settings as expected (${before.fingerprint.slice(0, 16)}…), by ${actor}.`);
        return 0;
      }
      default:
        err(sub ? `Unknown integrity command: ${sub}\n\n${INTEGRITY_HELP}` : INTEGRITY_HELP);
        return sub ? 2 : 0;
    }
  } catch (e) {
    err(e instanceof Error ? e.message : String(e));
    return 1;
  }
}
