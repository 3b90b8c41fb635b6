import { execFile } from 'node:child_process';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { appendFile, chmod, cp, mkdir, mkdtemp, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGunzip, createGzip } from 'node:zlib';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { deriveKey, type MasterKey } from './keys.js';

/**
 * Encrypted, checksummed backups of everything a shop needs to come back: the database (SQLite's
 * online backup API, or pg_dump for PostgreSQL), secrets.json (cookie/HMAC secrets: guest order
 * links keep working) and the media directory (product images). Never the master key.
 *
 * File layout:
 *   "MAMORI-BACKUP\n" · u32 header length · header JSON (clear, authenticated as GCM AAD)
 *   · AES-256-GCM ciphertext of gzip(entries) · 16-byte GCM tag
 * Entries: u16 name length · name (UTF-8) · u64 size · bytes · SHA-256 of the bytes; u16 0 ends.
 * The key is HKDF(master key, "mamori:backup-v1", salt); the header names the master key by its id.
 * A restore writes into a temporary directory, checks every file's hash and the GCM tag, and only
 * then puts anything in place.
 */
const MAGIC = Buffer.from('MAMORI-BACKUP\n');
const run = promisify(execFile);

export interface BackupHeader {
  format: 'mamori-backup';
  version: 1;
  createdAt: string;
  dialect: 'sqlite' | 'postgres';
  /** PostgreSQL: the schema the dump holds (the restore recreates it under this name). */
  pgSchema: string | null;
  keyId: string;
  salt: string;
  iv: string;
  files: { name: string; size: number }[];
}

export class BackupError extends Error {}

export interface BackupSource {
  dataDir: string;
  databaseUrl: string | null;
}

async function pgSchemaOf(url: string): Promise<string | null> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ s: string | null }>('select current_schema() as s');
    return r.rows[0]?.s ?? null;
  } finally {
    await c.end();
  }
}

async function pgTableCount(url: string, schema: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>('select count(*) as n from information_schema.tables where table_schema = $1', [schema]);
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await c.end();
  }
}

async function listFiles(root: string, prefix: string): Promise<{ name: string; path: string }[]> {
  if (!existsSync(root)) return [];
  const out: { name: string; path: string }[] = [];
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.push({ name: `${prefix}/${relative(root, path).split(sep).join('/')}`, path });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

async function* entries(files: { name: string; path: string; size: number }[]): AsyncGenerator<Buffer> {
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const head = Buffer.alloc(2);
    head.writeUInt16BE(name.length);
    yield Buffer.concat([head, name, u64(f.size)]);
    const hash = createHash('sha256');
    let seen = 0;
    for await (const chunk of createReadStream(f.path)) {
      const b = chunk as Buffer;
      seen += b.length;
      hash.update(b);
      yield b;
    }
    if (seen !== f.size) throw new BackupError(`${f.name} changed size while being backed up`);
    yield hash.digest();
  }
  yield Buffer.alloc(2);
}

/** Writes a backup to `out` (through `out.partial`, renamed when complete). */
export async function createBackup(src: BackupSource, master: MasterKey, out: string): Promise<BackupHeader & { bytes: number }> {
  await mkdir(dirname(out), { recursive: true, mode: 0o700 });
  const work = await mkdtemp(join(src.dataDir, '.backup-'));
  try {
    let dbFile: { name: string; path: string };
    let pgSchema: string | null = null;
    if (src.databaseUrl) {
      pgSchema = await pgSchemaOf(src.databaseUrl);
      if (!pgSchema) throw new BackupError('the PostgreSQL search_path names no existing schema');
      const path = join(work, 'db.pgdump');
      await run('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--schema=${pgSchema}`, `--file=${path}`, `--dbname=${src.databaseUrl}`]);
      dbFile = { name: 'db.pgdump', path };
    } else {
      const live = join(src.dataDir, 'mamori.sqlite');
      if (!existsSync(live)) throw new BackupError(`no database at ${live}`);
      const path = join(work, 'db.sqlite');
      const db = new SQLite(live, { readonly: true, fileMustExist: true });
      try {
        await db.backup(path);
      } finally {
        db.close();
      }
      dbFile = { name: 'db.sqlite', path };
    }
    const files = [dbFile];
    if (existsSync(join(src.dataDir, 'secrets.json'))) files.push({ name: 'secrets.json', path: join(src.dataDir, 'secrets.json') });
    files.push(...(await listFiles(join(src.dataDir, 'media'), 'media')));
    const sized = await Promise.all(files.map(async (f) => ({ ...f, size: (await stat(f.path)).size })));

    const salt = randomBytes(16);
    const iv = randomBytes(12);
    const header: BackupHeader = {
      format: 'mamori-backup', version: 1, createdAt: new Date().toISOString(),
      dialect: src.databaseUrl ? 'postgres' : 'sqlite', pgSchema, keyId: master.id,
      salt: salt.toString('base64'), iv: iv.toString('base64'),
      files: sized.map((f) => ({ name: f.name, size: f.size })),
    };
    const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(headerBytes.length);
    const partial = `${out}.partial`;
    const fh = await open(partial, 'w', 0o600);
    await fh.write(Buffer.concat([MAGIC, len, headerBytes]));
    await fh.close();
    const cipher = createCipheriv('aes-256-gcm', deriveKey(master, 'backup-v1', salt), iv);
    cipher.setAAD(headerBytes);
    await pipeline(Readable.from(entries(sized)), createGzip(), cipher, createWriteStream(partial, { flags: 'a' }));
    await appendFile(partial, cipher.getAuthTag());
    await rename(partial, out);
    await chmod(out, 0o600);
    return { ...header, bytes: (await stat(out)).size };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export async function readBackupHeader(file: string): Promise<{ header: BackupHeader; headerBytes: Buffer; dataStart: number; size: number }> {
  const size = (await stat(file)).size;
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(MAGIC.length + 4);
    await fh.read(head, 0, head.length, 0);
    if (!head.subarray(0, MAGIC.length).equals(MAGIC)) throw new BackupError(`${file} is not a Mamori backup`);
    const len = head.readUInt32BE(MAGIC.length);
    if (len > 10_000_000 || MAGIC.length + 4 + len + 16 > size) throw new BackupError(`${file} is truncated or damaged`);
    const headerBytes = Buffer.alloc(len);
    await fh.read(headerBytes, 0, len, MAGIC.length + 4);
    let header: BackupHeader;
    try {
      header = JSON.parse(headerBytes.toString('utf8')) as BackupHeader;
    } catch {
      throw new BackupError(`${file}: the header is damaged`);
    }
    if (header.format !== 'mamori-backup' || header.version !== 1) throw new BackupError(`${file}: unknown backup format`);
    return { header, headerBytes, dataStart: MAGIC.length + 4 + len, size };
  } finally {
    await fh.close();
  }
}

/** Reads exact byte counts from an async stream of chunks. */
class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly it: AsyncIterator<Buffer>) {}
  private async fill(n: number): Promise<void> {
    while (this.buf.length < n) {
      const next = await this.it.next();
      if (next.done) throw new BackupError('the backup ends early (truncated or damaged)');
      this.buf = this.buf.length ? Buffer.concat([this.buf, next.value]) : next.value;
    }
  }
  async exact(n: number): Promise<Buffer> {
    await this.fill(n);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
  /** Hands on n bytes in pieces, without holding them all. */
  async *pieces(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0) {
        const next = await this.it.next();
        if (next.done) throw new BackupError('the backup ends early (truncated or damaged)');
        this.buf = next.value;
      }
      const take = Math.min(left, this.buf.length);
      yield this.buf.subarray(0, take);
      this.buf = this.buf.subarray(take);
      left -= take;
    }
  }
  async end(): Promise<void> {
    if (this.buf.length) throw new BackupError('unexpected data after the last entry');
    const next = await this.it.next();
    if (!next.done) throw new BackupError('unexpected data after the last entry');
  }
}

/**
 * Decrypts and unpacks a backup into `dir`, checking every file's SHA-256 and the GCM tag.
 * Throws (and leaves `dir` to be thrown away) when anything does not check out.
 */
export async function unpackBackup(file: string, master: MasterKey, dir: string): Promise<BackupHeader> {
  const { header, headerBytes, dataStart, size } = await readBackupHeader(file);
  if (header.keyId !== master.id) {
    throw new BackupError(`this backup was made with master key ${header.keyId}; the key in use is ${master.id} (${master.source})`);
  }
  const tag = Buffer.alloc(16);
  const fh = await open(file, 'r');
  await fh.read(tag, 0, 16, size - 16);
  await fh.close();
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(master, 'backup-v1', Buffer.from(header.salt, 'base64')), Buffer.from(header.iv, 'base64'));
  decipher.setAAD(headerBytes);
  decipher.setAuthTag(tag);
  const plain = createReadStream(file, { start: dataStart, end: size - 17 }).pipe(decipher).pipe(createGunzip());
  // A wrong tag surfaces as an error of the decipher stream, not of the gunzip it feeds.
  let decipherError: unknown = null;
  decipher.on('error', (err) => {
    decipherError = err;
    plain.destroy(err);
  });
  const reader = new ByteReader(plain[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
  const expected = new Map(header.files.map((f) => [f.name, f.size]));
  try {
    for (;;) {
      const nameLen = (await reader.exact(2)).readUInt16BE(0);
      if (nameLen === 0) break;
      const name = (await reader.exact(nameLen)).toString('utf8');
      const fileSize = Number((await reader.exact(8)).readBigUInt64BE(0));
      if (expected.get(name) !== fileSize || name.split('/').some((p) => p === '..' || p === '') || name.startsWith('/')) {
        throw new BackupError(`unexpected entry in the backup: ${name}`);
      }
      const target = join(dir, ...name.split('/'));
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      const hash = createHash('sha256');
      const out = createWriteStream(target, { mode: 0o600 });
      await pipeline(
        Readable.from((async function* () {
          for await (const piece of reader.pieces(fileSize)) {
            hash.update(piece);
            yield piece;
          }
        })()),
        out,
      );
      const sum = await reader.exact(32);
      if (!sum.equals(hash.digest())) throw new BackupError(`${name}: checksum mismatch (the backup is damaged)`);
      expected.delete(name);
    }
    await reader.end();
  } catch (err) {
    if (decipherError) throw new BackupError('the backup does not authenticate: wrong key, or the file was altered or damaged');
    if (err instanceof BackupError) throw err;
    throw new BackupError(`the backup cannot be read: ${(err as Error).message}`);
  }
  if (decipherError) throw new BackupError('the backup does not authenticate: wrong key, or the file was altered or damaged');
  if (expected.size) throw new BackupError(`the backup lacks ${[...expected.keys()].join(', ')}`);
  return header;
}

/** Checks a backup end to end (decrypts and hashes everything) without restoring it. */
export async function verifyBackup(file: string, master: MasterKey, scratchDir: string): Promise<BackupHeader> {
  const dir = await mkdtemp(join(scratchDir, '.verify-'));
  try {
    return await unpackBackup(file, master, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Restores a backup into a data directory (and, for PostgreSQL, the database DATABASE_URL names).
 * Refuses to overwrite an existing shop database unless `force`.
 */
export async function restoreBackup(file: string, master: MasterKey, target: BackupSource, opts: { force?: boolean } = {}): Promise<BackupHeader> {
  await mkdir(target.dataDir, { recursive: true, mode: 0o700 });
  const work = await mkdtemp(join(target.dataDir, '.restore-'));
  try {
    const header = await unpackBackup(file, master, work);
    if (header.dialect === 'postgres') {
      if (!target.databaseUrl) throw new BackupError('this is a PostgreSQL backup: set DATABASE_URL to the database to restore into');
      const schema = await pgSchemaOf(target.databaseUrl);
      if (schema && schema !== header.pgSchema) throw new BackupError(`the backup holds schema "${header.pgSchema}", but DATABASE_URL's search_path is "${schema}"`);
      if (schema && !opts.force && (await pgTableCount(target.databaseUrl, schema)) > 0) {
        throw new BackupError(`schema "${schema}" already has tables: restore into an empty database, or pass --force to replace it`);
      }
      await run('pg_restore', ['--no-owner', '--no-privileges', '--clean', '--if-exists', '--exit-on-error', `--dbname=${target.databaseUrl}`, join(work, 'db.pgdump')]);
    } else {
      if (target.databaseUrl) throw new BackupError('this is a SQLite backup: unset DATABASE_URL to restore it');
      const live = join(target.dataDir, 'mamori.sqlite');
      if (existsSync(live) && !opts.force) throw new BackupError(`${live} exists: restore into an empty data directory, or pass --force to replace it`);
      for (const suffix of ['-wal', '-shm']) await rm(`${live}${suffix}`, { force: true });
      await rename(join(work, 'db.sqlite'), live);
    }
    if (existsSync(join(work, 'secrets.json'))) {
      await rename(join(work, 'secrets.json'), join(target.dataDir, 'secrets.json'));
      await chmod(join(target.dataDir, 'secrets.json'), 0o600);
    }
    if (existsSync(join(work, 'media'))) await cp(join(work, 'media'), join(target.dataDir, 'media'), { recursive: true, force: true });
    return header;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
