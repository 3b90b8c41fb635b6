import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { sql } from 'kysely';
import type { AuditLog } from '../admin/audit.js';
import { isUniqueViolation, nowIso, type Db } from '../db/index.js';
import { newId } from '../shared/ids.js';
import type { ScopeCounts as Figures } from './model.js';
import { scopeWithEntries, type ScopeCounts, type ScopeEntry } from './scope.js';
import type { IncidentScopeTable } from './records/tables.js';

/**
 * Saved, numbered scopes of an incident. Each snapshot keeps the windows it was computed for, the
 * counts, and every affected person and recipient with their exposed items, so that notices go
 * to exactly the people of a known snapshot and a later snapshot (after forensics narrowed or
 * widened the windows) shows who was added and who was removed.
 */
export interface SnapshotSummary {
  id: string;
  seq: number;
  createdAt: string;
  createdBy: string;
  windows: { card: { from: string; to: string } | null; personal: { from: string; to: string } | null };
  counts: ScopeCounts;
}

export interface SnapshotDiff {
  from: number;
  to: number;
  added: number;
  removed: number;
  addedSample: { key: string; type: string; name: string }[];
  removedSample: { key: string; type: string; name: string }[];
}

const BATCH = 500;

function summary(row: IncidentScopeTable): SnapshotSummary {
  return {
    id: row.id, seq: row.seq, createdAt: row.created_at, createdBy: row.created_by,
    windows: {
      card: row.card_from && row.card_to ? { from: row.card_from, to: row.card_to } : null,
      personal: row.personal_from && row.personal_to ? { from: row.personal_from, to: row.personal_to } : null,
    },
    counts: JSON.parse(row.counts) as ScopeCounts,
  };
}

export class ScopeSnapshots {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Computes the scope for the incident's current windows and saves it as the next snapshot.
   * The entries go through a temporary file: the scope holds the one SQLite connection while it
   * streams, and the whole list is never held in memory.
   */
  async take(incidentId: string, actor: string): Promise<SnapshotSummary | null> {
    const incident = await this.db.selectFrom('incidents').selectAll().where('id', '=', incidentId).executeTakeFirst();
    if (!incident) return null;
    const windows = {
      card: incident.card_from && incident.card_to ? { from: incident.card_from, to: incident.card_to } : null,
      personal: incident.personal_from && incident.personal_to ? { from: incident.personal_from, to: incident.personal_to } : null,
    };
    const dir = await mkdtemp(join(tmpdir(), 'mamori-scope-'));
    try {
      const file = join(dir, 'entries.jsonl');
      const out = createWriteStream(file);
      const counts = await scopeWithEntries(this.db, windows, {}, out);
      out.end();
      await finished(out);
      for (let attempt = 0; ; attempt++) {
        try {
          return await this.db.transaction().execute(async (trx) => {
            const last = await trx.selectFrom('incident_scopes').select('seq').where('incident_id', '=', incidentId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
            const row: IncidentScopeTable = {
              id: newId('isc'), incident_id: incidentId, seq: (last?.seq ?? 0) + 1,
              card_from: windows.card?.from ?? null, card_to: windows.card?.to ?? null,
              personal_from: windows.personal?.from ?? null, personal_to: windows.personal?.to ?? null,
              counts: JSON.stringify(counts), created_by: actor, created_at: nowIso(),
            };
            await trx.insertInto('incident_scopes').values(row).execute();
            let batch: { scope_id: string; entry_key: string; type: 'person' | 'recipient'; categories: string; first_exposed_on: string; entry: string }[] = [];
            const flush = async () => {
              if (batch.length) await trx.insertInto('incident_scope_entries').values(batch).execute();
              batch = [];
            };
            for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
              if (!line) continue;
              const e = JSON.parse(line) as ScopeEntry;
              batch.push({ scope_id: row.id, entry_key: e.key, type: e.type, categories: e.categories.join(','), first_exposed_on: e.firstExposedOn, entry: line });
              if (batch.length >= BATCH) await flush();
            }
            await flush();
            await this.audit.append({
              actor, action: 'incident.scope', target: incidentId,
              detail: { number: incident.number, snapshot: row.seq, windows, card: counts.card, personal: counts.personal.persons, recipients: counts.recipients.persons, total: counts.total.persons },
            }, trx);
            return summary(row);
          });
        } catch (err) {
          if (attempt < 5 && isUniqueViolation(err)) continue;
          throw err;
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async list(incidentId: string): Promise<SnapshotSummary[]> {
    const rows = await this.db.selectFrom('incident_scopes').selectAll().where('incident_id', '=', incidentId).orderBy('seq', 'desc').execute();
    return rows.map(summary);
  }

  async latest(incidentId: string): Promise<SnapshotSummary | null> {
    const row = await this.db.selectFrom('incident_scopes').selectAll().where('incident_id', '=', incidentId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    return row ? summary(row) : null;
  }

  /** The figures the drafts use: the latest snapshot's counts, with its number. */
  async figures(incidentId: string): Promise<Figures | null> {
    const s = await this.latest(incidentId);
    if (!s) return null;
    return { snapshot: s.seq, card: s.counts.card, personal: { persons: s.counts.personal.persons }, recipients: s.counts.recipients, total: { persons: s.counts.total.persons } };
  }

  /** Who was added and removed between two snapshots of an incident. */
  async diff(incidentId: string, fromSeq: number, toSeq: number, sample = 20): Promise<SnapshotDiff | null> {
    const scopes = await this.db.selectFrom('incident_scopes').select(['id', 'seq']).where('incident_id', '=', incidentId).where('seq', 'in', [fromSeq, toSeq]).execute();
    const a = scopes.find((s) => s.seq === fromSeq);
    const b = scopes.find((s) => s.seq === toSeq);
    if (!a || !b) return null;
    const side = async (inScope: string, notIn: string) => {
      const missing = (eb: typeof this.db) => eb.selectFrom('incident_scope_entries as x').select('x.entry_key').where('x.scope_id', '=', notIn);
      const count = await this.db.selectFrom('incident_scope_entries').select((eb) => eb.fn.countAll<number>().as('n'))
        .where('scope_id', '=', inScope).where('entry_key', 'not in', missing(this.db)).executeTakeFirstOrThrow();
      const rows = await this.db.selectFrom('incident_scope_entries').select(['entry_key', 'type', 'entry'])
        .where('scope_id', '=', inScope).where('entry_key', 'not in', missing(this.db)).orderBy('entry_key').limit(sample).execute();
      return { n: Number(count.n), sample: rows.map((r) => ({ key: r.entry_key, type: r.type, name: (JSON.parse(r.entry) as ScopeEntry).contact.name })) };
    };
    const added = await side(b.id, a.id);
    const removed = await side(a.id, b.id);
    return { from: fromSeq, to: toSeq, added: added.n, removed: removed.n, addedSample: added.sample, removedSample: removed.sample };
  }

  /** Affected people by month of (first) exposure, for the chart. */
  async byMonth(scopeId: string): Promise<{ month: string; persons: number; recipients: number }[]> {
    const rows = await sql<{ month: string; type: string; n: number | string }>`
      select substr(first_exposed_on, 1, 7) as month, type, count(*) as n
      from incident_scope_entries where scope_id = ${scopeId}
      group by substr(first_exposed_on, 1, 7), type order by month`.execute(this.db);
    const by = new Map<string, { month: string; persons: number; recipients: number }>();
    for (const r of rows.rows) {
      const m = by.get(r.month) ?? { month: r.month, persons: 0, recipients: 0 };
      if (r.type === 'recipient') m.recipients += Number(r.n);
      else m.persons += Number(r.n);
      by.set(r.month, m);
    }
    return [...by.values()];
  }

  /** Every entry of a snapshot, a page at a time (for notices and exports). */
  async *entries(scopeId: string, page = BATCH): AsyncGenerator<ScopeEntry[]> {
    let last = '';
    for (;;) {
      const rows = await this.db.selectFrom('incident_scope_entries').select(['entry_key', 'entry'])
        .where('scope_id', '=', scopeId).where('entry_key', '>', last).orderBy('entry_key').limit(page).execute();
      if (rows.length === 0) return;
      yield rows.map((r) => JSON.parse(r.entry) as ScopeEntry);
      last = rows.at(-1)!.entry_key;
    }
  }
}
