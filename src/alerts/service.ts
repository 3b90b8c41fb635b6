import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { nowIso } from '../db/index.js';
import { newId } from '../shared/ids.js';
import type { AlertSeverity, AlertTable } from './tables.js';

export interface RaiseAlert {
  severity: AlertSeverity;
  kind: string;
  message: string;
  evidence?: Record<string, unknown>;
  /** Defaults to `kind`: one open alert per kind. */
  dedupeKey?: string;
}

export type AlertListener = (alert: AlertTable, isNew: boolean) => Promise<void> | void;

/**
 * Security alerts: stored, deduplicated while open, newest first. Listeners (the card kill switch,
 * mail to security contacts — issue #5) are told about every raise.
 */
export class AlertService {
  private readonly listeners: AlertListener[] = [];

  constructor(private readonly db: Db) {}

  onAlert(listener: AlertListener): void {
    this.listeners.push(listener);
  }

  async raise(a: RaiseAlert): Promise<AlertTable> {
    const key = a.dedupeKey ?? a.kind;
    const now = nowIso();
    const evidence = a.evidence ? JSON.stringify(a.evidence).slice(0, 8000) : null;
    const res = await this.db
      .updateTable('alerts')
      .set({ count: sql`count + 1`, last_seen_at: now, message: a.message, evidence })
      .where('dedupe_key', '=', key)
      .where('status', '=', 'open')
      .executeTakeFirst();
    let alert: AlertTable;
    const isNew = Number(res.numUpdatedRows) === 0;
    if (isNew) {
      alert = {
        id: newId('alr'), severity: a.severity, kind: a.kind, message: a.message, evidence, dedupe_key: key,
        status: 'open', count: 1, first_seen_at: now, last_seen_at: now, resolved_at: null, resolved_by: null,
      };
      await this.db.insertInto('alerts').values(alert).execute();
    } else {
      alert = await this.db.selectFrom('alerts').selectAll().where('dedupe_key', '=', key).where('status', '=', 'open').orderBy('first_seen_at', 'desc').executeTakeFirstOrThrow();
    }
    for (const l of this.listeners) await l(alert, isNew);
    return alert;
  }

  listOpen(limit = 100): Promise<AlertTable[]> {
    return this.db.selectFrom('alerts').selectAll().where('status', '=', 'open').orderBy('last_seen_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  }

  async resolve(id: string, by: string): Promise<boolean> {
    const r = await this.db.updateTable('alerts').set({ status: 'resolved', resolved_at: nowIso(), resolved_by: by }).where('id', '=', id).where('status', '=', 'open').executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}
