import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../app/config.js';

/**
 * The master key: 32 random bytes that never live in the database. Everything encrypted by
 * Mamori (backups now; personal fields with issue 7's envelope encryption) is keyed from it,
 * each use through its own HKDF-derived key.
 *
 * Where it comes from, in order: MAMORI_MASTER_KEY (base64), MAMORI_MASTER_KEY_FILE, or
 * `<dataDir>/keys/master.key`, generated with 0600 permissions on first use. The README tells the
 * owner to move that file off the data disk: a copy of the data directory (or a backup) without
 * the key is worth nothing to a thief.
 */
export interface MasterKey {
  key: Buffer;
  /** First 16 hex digits of SHA-256(key): names the key in backups without revealing it. */
  id: string;
  /** Where it was read from (for messages; never the key itself). */
  source: string;
}

export class MasterKeyError extends Error {}

function parseKey(text: string, source: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new MasterKeyError(`${source}: the master key must be 32 bytes in base64 (got ${key.length} bytes)`);
  return key;
}

export function defaultMasterKeyFile(dataDir: string): string {
  return join(dataDir, 'keys', 'master.key');
}

export function loadMasterKey(config: Pick<Config, 'dataDir' | 'masterKey'>, opts: { create?: boolean } = {}): MasterKey {
  let key: Buffer;
  let source: string;
  if (config.masterKey.value) {
    key = parseKey(config.masterKey.value, 'MAMORI_MASTER_KEY');
    source = 'MAMORI_MASTER_KEY';
  } else {
    const file = config.masterKey.file ?? defaultMasterKeyFile(config.dataDir);
    source = file;
    if (existsSync(file)) {
      key = parseKey(readFileSync(file, 'utf8'), file);
    } else if (config.masterKey.file) {
      throw new MasterKeyError(`MAMORI_MASTER_KEY_FILE points at ${file}, which does not exist`);
    } else if (opts.create === false) {
      throw new MasterKeyError(`no master key: ${file} does not exist (set MAMORI_MASTER_KEY_FILE to the key you kept)`);
    } else {
      key = randomBytes(32);
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
    }
  }
  return { key, id: createHash('sha256').update(key).digest('hex').slice(0, 16), source };
}

/** A key for one purpose (e.g. 'backup-v1'), derived from the master key with HKDF-SHA256. */
export function deriveKey(master: MasterKey, purpose: string, salt: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.from(hkdfSync('sha256', master.key, salt, `mamori:${purpose}`, 32));
}
