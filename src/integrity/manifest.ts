import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, readlink, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { compareText, isIgnoredPath, runtimeEntry, skippedDirOf, type Runtime } from './paths.js';

/**
 * The signed release manifest: SHA-256 of every file the running shop loads or serves, signed with
 * an Ed25519 release key over the canonical JSON bytes. The private key signs on the build machine;
 * the shop only ever needs the public key.
 */
export interface Manifest {
  version: 1;
  createdAt: string;
  /** What the manifest was made for: the compiled `dist/` or the TypeScript sources. */
  runtime: Runtime;
  /** The directories and files it covers; a file under them that is not listed is an added file. */
  roots: string[];
  /** Relative path (with `/`) → SHA-256 hex, sorted by path. */
  files: Record<string, string>;
}

export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';
export const PRIVATE_KEY_FILE = 'release-private.pem';
export const PUBLIC_KEY_FILE = 'release-public.pem';

const manifestSchema = z.object({
  version: z.literal(1),
  createdAt: z.string().min(1).max(64),
  runtime: z.enum(['dist', 'src']),
  roots: z.array(z.string().min(1).max(500)).max(10_000),
  files: z.record(z.string().min(1).max(2000), z.string().regex(/^[0-9a-f]{64}$/)),
});

/** JSON with object keys sorted at every level and no whitespace: the bytes that are signed. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => compareText(a, b));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function manifestBytes(m: Manifest): Buffer {
  return Buffer.from(canonicalJson(m), 'utf8');
}

// ---------------------------------------------------------------------------------------------
// Hashing

const SMALL_FILE = 1024 * 1024;

/**
 * SHA-256 of a file's bytes. A small file is read in one go (most of node_modules: faster than a
 * stream); a larger one is streamed, so a big native module never sits in memory whole.
 */
export async function hashFile(abs: string): Promise<string> {
  const fh = await open(abs, 'r');
  try {
    const hash = createHash('sha256');
    const { size } = await fh.stat();
    if (size <= SMALL_FILE) {
      hash.update(await fh.readFile());
    } else {
      for await (const chunk of fh.createReadStream({ highWaterMark: 256 * 1024, autoClose: false })) hash.update(chunk as Buffer);
    }
    return hash.digest('hex');
  } finally {
    await fh.close();
  }
}

/** A symbolic link is recorded by its target, never followed. */
export function symlinkHash(target: string): string {
  return createHash('sha256').update(`symlink\0${target}`).digest('hex');
}

/** A FIFO, socket or device is recorded by its type, never opened (opening a FIFO would block). */
export function specialHash(type: string): string {
  return createHash('sha256').update(`special\0${type}`).digest('hex');
}

/** The hash of a path as it is now, or null when it does not exist. Directories are not hashed. */
export async function hashPath(abs: string): Promise<string | null> {
  let st;
  try {
    st = await lstat(abs);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
  if (st.isSymbolicLink()) return symlinkHash(await readlink(abs));
  if (st.isFile()) {
    try {
      return await hashFile(abs);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }
  if (st.isDirectory()) return null;
  return specialHash(st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket' : 'device');
}

export function isNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export interface WalkResult {
  /** Relative path → SHA-256 hex. */
  files: Map<string, string>;
  /** Files or directories that could not be read: `path: error code`. */
  problems: string[];
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Every file under the roots (relative to `root`), hashed with bounded concurrency. Editors'
 * temporary files in the sources are left out (paths.ts says which); nothing else is.
 * `under` restricts the walk to one path inside the roots (the watcher rescans a directory).
 */
export async function walkRoots(root: string, roots: readonly string[], opts: { under?: string; concurrency?: number } = {}): Promise<WalkResult> {
  const found: { rel: string; kind: 'file' | 'symlink' | 'special'; type?: string }[] = [];
  const problems: string[] = [];
  const walkDir = async (rel: string, skip: string | null): Promise<void> => {
    let entries;
    try {
      entries = await readdir(join(root, rel), { withFileTypes: true });
    } catch (err) {
      if (!isNotFound(err)) problems.push(`${rel}/: ${errorCode(err)}`);
      return;
    }
    for (const e of entries) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (child !== skip) await walkDir(child, skip);
      } else if (isIgnoredPath(child)) {
        continue;
      } else if (e.isSymbolicLink()) {
        found.push({ rel: child, kind: 'symlink' });
      } else if (e.isFile()) {
        found.push({ rel: child, kind: 'file' });
      } else {
        found.push({ rel: child, kind: 'special', type: e.isFIFO() ? 'fifo' : e.isSocket() ? 'socket' : 'device' });
      }
    }
  };
  for (const r of roots) {
    const skip = skippedDirOf(r);
    let start = r;
    if (opts.under !== undefined) {
      if (opts.under === r || opts.under.startsWith(`${r}/`)) start = opts.under;
      else if (!r.startsWith(`${opts.under}/`)) continue;
      if (skip && (start === skip || start.startsWith(`${skip}/`))) continue;
    }
    let st;
    try {
      st = await lstat(join(root, start));
    } catch (err) {
      if (!isNotFound(err)) problems.push(`${start}: ${errorCode(err)}`);
      continue;
    }
    if (st.isDirectory()) await walkDir(start, skip);
    else if (isIgnoredPath(start)) continue;
    else if (st.isSymbolicLink()) found.push({ rel: start, kind: 'symlink' });
    else if (st.isFile()) found.push({ rel: start, kind: 'file' });
    else found.push({ rel: start, kind: 'special', type: 'special' });
  }
  const files = new Map<string, string>();
  await mapLimit(found, opts.concurrency ?? 32, async (f) => {
    try {
      if (f.kind === 'file') files.set(f.rel, await hashFile(join(root, f.rel)));
      else if (f.kind === 'symlink') files.set(f.rel, symlinkHash(await readlink(join(root, f.rel))));
      else files.set(f.rel, specialHash(f.type ?? 'special'));
    } catch (err) {
      // Removed between listing and hashing: it is simply not there.
      if (!isNotFound(err)) problems.push(`${f.rel}: ${errorCode(err)}`);
    }
  });
  return { files, problems };
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'error';
}

export function sortedRecord(files: Map<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...files.keys()].sort(compareText)) out[k] = files.get(k)!;
  return out;
}

/** Hashes every file under the roots and returns the (unsigned) manifest. Unreadable files are an error. */
export async function buildManifest(root: string, runtime: Runtime, roots: readonly string[], createdAt: Date = new Date()): Promise<Manifest> {
  const { files, problems } = await walkRoots(root, roots);
  if (problems.length > 0) throw new Error(`Could not read: ${problems.slice(0, 20).join(', ')}${problems.length > 20 ? ` … (${problems.length})` : ''}`);
  return { version: 1, createdAt: createdAt.toISOString(), runtime, roots: [...roots].sort(compareText), files: sortedRecord(files) };
}

// ---------------------------------------------------------------------------------------------
// Comparing

export interface FileChange {
  path: string;
  /** SHA-256 hex in the manifest (null: added). */
  expected: string | null;
  /** SHA-256 hex on disk (null: removed). */
  actual: string | null;
}

export interface FileDiff {
  modified: FileChange[];
  added: FileChange[];
  removed: FileChange[];
}

export function diffFiles(expected: Readonly<Record<string, string>>, actual: ReadonlyMap<string, string>): FileDiff {
  const diff: FileDiff = { modified: [], added: [], removed: [] };
  for (const [path, exp] of Object.entries(expected)) {
    const act = actual.get(path);
    if (act === undefined) diff.removed.push({ path, expected: exp, actual: null });
    else if (act !== exp) diff.modified.push({ path, expected: exp, actual: act });
  }
  for (const [path, act] of actual) if (!Object.hasOwn(expected, path)) diff.added.push({ path, expected: null, actual: act });
  for (const list of [diff.modified, diff.added, diff.removed]) list.sort((a, b) => compareText(a.path, b.path));
  return diff;
}

export function diffSize(d: FileDiff): number {
  return d.modified.length + d.added.length + d.removed.length;
}

// ---------------------------------------------------------------------------------------------
// Keys and signatures

function requireEd25519(key: KeyObject, file: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is not an Ed25519 key`);
  return key;
}

export function loadPrivateKey(file: string): KeyObject {
  return requireEd25519(createPrivateKey(readFileSync(file)), file);
}

export function loadPublicKey(file: string): KeyObject {
  return requireEd25519(createPublicKey(readFileSync(file)), file);
}

/** `SHA256:<base64>` of the public key's DER (SubjectPublicKeyInfo): what to compare by eye. */
export function keyFingerprint(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return `SHA256:${createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('base64').replace(/=+$/, '')}`;
}

export function signManifest(m: Manifest, privateKey: KeyObject): string {
  return sign(null, manifestBytes(m), privateKey).toString('base64');
}

export function verifyManifestSignature(m: Manifest, signatureB64: string, publicKey: KeyObject): boolean {
  const sig = Buffer.from(signatureB64.trim(), 'base64');
  if (sig.length !== 64) return false;
  try {
    return verify(null, manifestBytes(m), publicKey, sig);
  } catch {
    return false;
  }
}

/** Writes `release-private.pem` (0600) and `release-public.pem`; refuses to overwrite a private key. */
export async function generateReleaseKeys(outDir: string, opts: { force?: boolean } = {}): Promise<{ privateFile: string; publicFile: string; fingerprint: string }> {
  const privateFile = join(outDir, PRIVATE_KEY_FILE);
  const publicFile = join(outDir, PUBLIC_KEY_FILE);
  if (existsSync(privateFile) && !opts.force) throw new Error(`${privateFile} exists; not overwriting it (use --force to replace the release key).`);
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  await writeFile(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await chmod(privateFile, 0o600);
  await writeFile(publicFile, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  return { privateFile, publicFile, fingerprint: keyFingerprint(publicKey) };
}

// ---------------------------------------------------------------------------------------------
// Release files

/** Writes manifest.json (pretty, sorted keys) and manifest.sig (base64), each atomically. */
export async function writeRelease(dir: string, m: Manifest, signatureB64: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const write = async (name: string, text: string) => {
    const tmp = join(dir, `.${name}.${process.pid}.tmp`);
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, join(dir, name));
  };
  await write(MANIFEST_FILE, `${JSON.stringify(JSON.parse(canonicalJson(m)), null, 1)}\n`);
  await write(SIGNATURE_FILE, `${signatureB64}\n`);
}

export class ReleaseFileError extends Error {
  constructor(
    readonly reason: 'missing' | 'unreadable',
    message: string,
  ) {
    super(message);
    this.name = 'ReleaseFileError';
  }
}

export function parseManifest(text: string): Manifest {
  const parsed = manifestSchema.safeParse(JSON.parse(text) as unknown);
  if (!parsed.success) throw new ReleaseFileError('unreadable', `manifest.json is not a valid release manifest (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  return parsed.data;
}

export function readRelease(dir: string): { manifest: Manifest; signature: string } {
  const mf = join(dir, MANIFEST_FILE);
  const sf = join(dir, SIGNATURE_FILE);
  if (!existsSync(mf)) throw new ReleaseFileError('missing', `No release manifest at ${mf}`);
  if (!existsSync(sf)) throw new ReleaseFileError('missing', `No release signature at ${sf}`);
  let manifest: Manifest;
  try {
    manifest = parseManifest(readFileSync(mf, 'utf8'));
  } catch (err) {
    if (err instanceof ReleaseFileError) throw err;
    throw new ReleaseFileError('unreadable', `${mf} is not valid JSON`);
  }
  return { manifest, signature: readFileSync(sf, 'utf8').trim() };
}

export type ReleaseCheck =
  | { ok: true; manifest: Manifest; diff: FileDiff; files: number; durationMs: number; problems: string[] }
  | { ok: false; reason: 'missing' | 'unreadable' | 'bad_signature' | 'tampered' | 'wrong_runtime'; message: string; manifest: Manifest | null; diff: FileDiff | null; problems: string[]; durationMs: number };

/**
 * Checks the signature first (nothing in an unsigned manifest is believed), then every file under
 * the manifest's roots: changed, added and removed files are listed by name.
 * With `runtime`, the manifest must also cover the code of that runtime.
 */
export async function verifyRelease(opts: { root: string; releaseDir: string; publicKey: KeyObject; runtime?: Runtime }): Promise<ReleaseCheck> {
  const started = Date.now();
  let manifest: Manifest;
  let signature: string;
  try {
    ({ manifest, signature } = readRelease(opts.releaseDir));
  } catch (err) {
    const reason = err instanceof ReleaseFileError ? err.reason : 'unreadable';
    return { ok: false, reason, message: err instanceof Error ? err.message : String(err), manifest: null, diff: null, problems: [], durationMs: Date.now() - started };
  }
  if (!verifyManifestSignature(manifest, signature, opts.publicKey)) {
    return { ok: false, reason: 'bad_signature', message: `The release manifest's signature does not verify with the release public key (${keyFingerprint(opts.publicKey)}).`, manifest: null, diff: null, problems: [], durationMs: Date.now() - started };
  }
  if (opts.runtime && !Object.hasOwn(manifest.files, runtimeEntry(opts.runtime))) {
    return {
      ok: false, reason: 'wrong_runtime', manifest, diff: null, problems: [], durationMs: Date.now() - started,
      message: `The release manifest was made for ${manifest.runtime === 'dist' ? 'the compiled dist/' : 'the TypeScript sources'}, but the shop runs from ${opts.runtime === 'dist' ? 'dist/' : 'src/'} (${runtimeEntry(opts.runtime)} is not in it).`,
    };
  }
  const { files, problems } = await walkRoots(opts.root, manifest.roots);
  const diff = diffFiles(manifest.files, files);
  const durationMs = Date.now() - started;
  if (diffSize(diff) > 0 || problems.length > 0) {
    return { ok: false, reason: 'tampered', message: describeDiff(diff, problems), manifest, diff, problems, durationMs };
  }
  return { ok: true, manifest, diff, files: files.size, durationMs, problems };
}

/** One line per kind of change, naming the files (at most `max` per kind). */
export function describeDiff(d: FileDiff, problems: string[] = [], max = 20): string {
  const part = (label: string, list: string[]) => (list.length ? `${label} (${list.length}): ${list.slice(0, max).join(', ')}${list.length > max ? ', …' : ''}` : null);
  return [
    part('changed', d.modified.map((c) => c.path)),
    part('added', d.added.map((c) => c.path)),
    part('removed', d.removed.map((c) => c.path)),
    part('unreadable', problems),
  ].filter((x): x is string => x !== null).join('; ');
}
