import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../app/config.js';
import { AuditLog } from '../admin/audit.js';
import { openDatabase } from '../db/index.js';
import { migrateToLatest } from '../db/migrate.js';
import { BackupError, createBackup, restoreBackup, verifyBackup } from './backup.js';
import { loadMasterKey, MasterKeyError } from './keys.js';
import { SettingsService } from '../settings/service.js';
import { RetentionService, type RetentionCounts } from './retention.js';

export const BACKUP_HELP = `npx mamori backup [--out FILE]
      Encrypted, checksummed backup of the database, secrets.json and media/ (default
      <data>/backups/mamori-<time>.mbk). Needs the master key to restore: keep it elsewhere.
npx mamori backup verify FILE
      Decrypt and check every file of a backup without restoring it.
npx mamori restore FILE [--force]
      Restore into MAMORI_DATA_DIR (and DATABASE_URL for a PostgreSQL backup); refuses to replace
      an existing database unless --force.`;

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

async function audit(config: Config, action: string, detail: Record<string, unknown>): Promise<void> {
  const handle = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(handle.db);
    await new AuditLog(handle.db).append({ actor: `cli:${userInfo().username}`, action, detail });
  } finally {
    await handle.close();
  }
}

/** `npx mamori backup …` and `npx mamori restore …`. Returns the exit code. */
export async function backupCommand(command: 'backup' | 'restore', args: string[], config: Config): Promise<number> {
  try {
    if (command === 'restore') {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { force: { type: 'boolean', default: false } } });
      const file = positionals[0];
      if (!file) {
        console.error(BACKUP_HELP);
        return 2;
      }
      const master = loadMasterKey(config, { create: false });
      const header = await restoreBackup(resolve(file), master, config, { force: values.force });
      await audit(config, 'backup.restore', { file: resolve(file), createdAt: header.createdAt, dialect: header.dialect, files: header.files.length });
      console.log(`Restored the backup of ${header.createdAt} (${header.dialect}, ${header.files.length} files) into ${config.dataDir}.`);
      return 0;
    }
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' } } });
    if (positionals[0] === 'verify') {
      const file = positionals[1];
      if (!file) {
        console.error(BACKUP_HELP);
        return 2;
      }
      const header = await verifyBackup(resolve(file), loadMasterKey(config, { create: false }), config.dataDir);
      console.log(`OK: backup of ${header.createdAt} (${header.dialect}); ${header.files.length} files decrypt and match their checksums.`);
      return 0;
    }
    if (positionals.length) {
      console.error(BACKUP_HELP);
      return 2;
    }
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
    const out = resolve(values.out ?? join(config.dataDir, 'backups', `mamori-${stamp}.mbk`));
    const master = loadMasterKey(config);
    const r = await createBackup(config, master, out);
    await audit(config, 'backup.create', { file: out, bytes: r.bytes, dialect: r.dialect, files: r.files.length, keyId: r.keyId });
    console.log(`Backup written: ${out} (${mb(r.bytes)}, ${r.files.length} files, master key ${r.keyId}).`);
    console.log('Copy it off this machine. It can only be restored with the master key — keep the key apart from the backups.');
    return 0;
  } catch (err) {
    if (err instanceof BackupError || err instanceof MasterKeyError) {
      console.error(`${command}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

export const RETENTION_HELP = `npx mamori retention plan
      What the next retention run would do: counts per category (no personal data), with the cut-off dates.
npx mamori retention run
      Apply the retention policy now (the shop also does it once a day). Both are audited.`;

/** `npx mamori retention plan|run`. Returns the exit code. */
export async function retentionCommand(args: string[], config: Config): Promise<number> {
  const sub = args[0];
  if ((sub !== 'plan' && sub !== 'run') || args.length !== 1) {
    console.error(RETENTION_HELP);
    return 2;
  }
  const handle = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(handle.db);
    const auditLog = new AuditLog(handle.db);
    const retention = new RetentionService(handle.db, new SettingsService(handle.db, 0), auditLog);
    const actor = `cli:${userInfo().username}`;
    if (sub === 'plan') {
      const { counts, cutoffs } = await retention.plan();
      await auditLog.append({ actor, action: 'privacy.retention.plan', detail: { counts, cutoffs } });
      console.log('Retention plan (what `npx mamori retention run` would do now):');
      for (const [k, n] of Object.entries(counts)) console.log(`  ${COUNT_LABELS_EN[k as keyof RetentionCounts]}: ${n}`);
      console.log('Cut-offs:');
      for (const [k, v] of Object.entries(cutoffs)) console.log(`  ${k}: ${v}`);
      return 0;
    }
    const counts = await retention.run(actor);
    console.log('Retention applied:');
    for (const [k, n] of Object.entries(counts)) console.log(`  ${COUNT_LABELS_EN[k as keyof RetentionCounts]}: ${n}`);
    return 0;
  } finally {
    await handle.close();
  }
}

const COUNT_LABELS_EN: Record<keyof RetentionCounts, string> = {
  guestOrders: 'guest orders to anonymise',
  withdrawnMembers: 'withdrawn members to anonymise',
  memberOrders: "completed orders of those members to anonymise",
  catalogRequests: 'catalog requests to delete',
  outboxMails: 'sent mails to erase (address, subject, body)',
};
