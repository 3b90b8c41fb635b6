import { createHash } from 'node:crypto';
import type { Db, DbOrTx } from '../db/index.js';
import { isUniqueViolation, nowIso } from '../db/index.js';
import { newId } from '../shared/ids.js';
import type { AuditLogTable } from './tables.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  actor: string;
  action: string;
  target?: string | null;
  detail?: Record<string, unknown> | null;
}

/** The hash of an entry: SHA-256 over the previous hash and the entry's fields, in a fixed order. */
export function entryHash(e: Omit<AuditLogTable, 'hash'>): string {
  const canonical = JSON.stringify([e.seq, e.id, e.at, e.actor, e.action, e.target, e.detail, e.prev_hash]);
  return createHash('sha256').update(canonical).digest('hex');
}

export type VerifyResult =
  | { ok: true; entries: number; lastHash: string }
  | { ok: false; entries: number; problem: 'edited' | 'deleted_or_inserted' | 'broken_link'; seq: number; message: string };

/**
 * The append-only audit log. Each entry carries the hash of the previous one, so editing,
 * deleting or inserting an entry breaks the chain at that point; `verify` says where.
 */
export class AuditLog {
  private readonly listeners: ((entry: AuditLogTable, db: DbOrTx) => Promise<void>)[] = [];

  constructor(private readonly db: Db) {}

  /** Called after each append, with the same transaction (the settings fingerprint uses it). */
  onAppend(listener: (entry: AuditLogTable, db: DbOrTx) => Promise<void>): void {
    this.listeners.push(listener);
  }

  /** Appends an entry; pass the transaction when the audited change is made in one. */
  async append(entry: AuditEntry, db: DbOrTx = this.db): Promise<AuditLogTable> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const last = await db.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
      const row: Omit<AuditLogTable, 'hash'> = {
        seq: (last?.seq ?? 0) + 1,
        id: newId('aud'),
        at: nowIso(),
        actor: entry.actor.slice(0, 200),
        action: entry.action.slice(0, 100),
        target: entry.target ?? null,
        detail: entry.detail ? JSON.stringify(entry.detail).slice(0, 8000) : null,
        prev_hash: last?.hash ?? GENESIS_HASH,
      };
      const full: AuditLogTable = { ...row, hash: entryHash(row) };
      try {
        await db.insertInto('audit_log').values(full).execute();
        for (const l of this.listeners) await l(full, db);
        return full;
      } catch (err) {
        // Another process appended the same sequence number first: chain onto its entry instead.
        if (!isUniqueViolation(err) || db !== this.db) throw err;
      }
    }
    throw new Error('audit log: could not append after repeated conflicts');
  }

  async verify(): Promise<VerifyResult> {
    let prev = GENESIS_HASH;
    let expectedSeq = 1;
    let n = 0;
    const page = 1000;
    for (;;) {
      const rows = await this.db.selectFrom('audit_log').selectAll().where('seq', '>=', expectedSeq).orderBy('seq').limit(page).execute();
      for (const r of rows) {
        if (r.seq !== expectedSeq) {
          return { ok: false, entries: n, problem: 'deleted_or_inserted', seq: expectedSeq, message: `entry #${expectedSeq} is missing (next is #${r.seq})` };
        }
        if (r.prev_hash !== prev) {
          return { ok: false, entries: n, problem: 'broken_link', seq: r.seq, message: `entry #${r.seq} does not follow entry #${r.seq - 1} (deleted, inserted or reordered)` };
        }
        const { hash, ...rest } = r;
        if (entryHash(rest) !== hash) {
          return { ok: false, entries: n, problem: 'edited', seq: r.seq, message: `entry #${r.seq} was changed after it was written` };
        }
        prev = hash;
        expectedSeq++;
        n++;
      }
      if (rows.length < page) break;
    }
    return { ok: true, entries: n, lastHash: prev };
  }

  /**
   * A cheap check of the newest entries, for a watcher that runs every few seconds: the last `n`
   * entries hash and link correctly, none is missing (count = highest sequence), and the entry
   * `known` (seen earlier) still has the same hash — so a rewritten chain is noticed too.
   */
  async verifyTail(n: number, known: { seq: number; hash: string } | null): Promise<VerifyResult & { lastSeq: number }> {
    const rows = (await this.db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(n + 1).execute()).reverse();
    const stats = await this.db.selectFrom('audit_log').select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('seq').as('max')]).executeTakeFirstOrThrow();
    const count = Number(stats.n);
    const max = Number(stats.max ?? 0);
    const bad = (problem: 'edited' | 'deleted_or_inserted' | 'broken_link', seq: number, message: string) => ({ ok: false as const, entries: count, problem, seq, message, lastSeq: max });
    if (count !== max) return bad('deleted_or_inserted', max, `${max - count} entries are missing (${count} entries, highest #${max})`);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const prev = rows[i - 1];
      if (prev && r.seq !== prev.seq + 1) return bad('deleted_or_inserted', prev.seq + 1, `entry #${prev.seq + 1} is missing`);
      if (prev && r.prev_hash !== prev.hash) return bad('broken_link', r.seq, `entry #${r.seq} does not follow entry #${r.seq - 1}`);
      if (r.seq === 1 && r.prev_hash !== GENESIS_HASH) return bad('broken_link', 1, 'the first entry does not start the chain');
      const { hash, ...rest } = r;
      if (entryHash(rest) !== hash) return bad('edited', r.seq, `entry #${r.seq} was changed after it was written`);
    }
    if (known && known.seq > 0 && known.seq <= max) {
      const row = rows.find((r) => r.seq === known.seq) ?? (await this.db.selectFrom('audit_log').select(['seq', 'hash']).where('seq', '=', known.seq).executeTakeFirst());
      if (!row || row.hash !== known.hash) return bad('edited', known.seq, `entry #${known.seq} is not the one seen before (the chain was rewritten)`);
    }
    const last = rows.at(-1);
    return { ok: true, entries: count, lastHash: last?.hash ?? GENESIS_HASH, lastSeq: last?.seq ?? 0 };
  }

  list(limit = 100, beforeSeq?: number) {
    let q = this.db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(limit);
    if (beforeSeq) q = q.where('seq', '<', beforeSeq);
    return q.execute();
  }
}
