import { sql, type Selectable } from 'kysely';
import type { Db, DbOrTx, Dialect } from '../db/index.js';
import { nowIso } from '../db/index.js';
import { newId } from '../shared/ids.js';
import type { OutboxTable } from './tables.js';
import type { MailTransport } from './transport.js';

export interface OutgoingMail {
  /** Same key → queued once, whatever retries or crashes happen upstream. */
  dedupeKey: string;
  kind: string;
  to: string;
  subject: string;
  text: string;
}

/**
 * Transactional outbox: a mail is written in the same transaction as the business change that
 * causes it (an order, a password change), so a crash never loses it; a worker sends and retries.
 */
export async function enqueueMail(db: DbOrTx, mail: OutgoingMail): Promise<void> {
  const now = nowIso();
  await db
    .insertInto('outbox')
    .values({
      id: newId('mail'),
      dedupe_key: mail.dedupeKey,
      kind: mail.kind,
      to_address: mail.to,
      subject: mail.subject,
      body_text: mail.text,
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      locked_by: null,
      locked_until: null,
      last_error: null,
      created_at: now,
      sent_at: null,
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .execute();
}

export const MAX_ATTEMPTS = 20;

export function backoffMs(attempts: number): number {
  return Math.min(60 * 60 * 1000, 10_000 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Sends due mail. Rows are claimed with a lease (locked_by/locked_until) so that several
 * processes can run the worker and each mail is handed to the transport by one of them.
 * The Message-ID is derived from the outbox id: if a crash happens after the SMTP server accepted
 * a mail but before it was marked sent, the retry carries the same Message-ID.
 */
export class OutboxWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly holder = newId('worker');

  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
    private readonly transport: MailTransport,
    private readonly opts: { intervalMs?: number; batchSize?: number; leaseMs?: number; concurrency?: number; onError?: (err: unknown) => void } = {},
  ) {}

  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.running = this.runOnce()
        .then(() => undefined)
        .catch((err: unknown) => this.opts.onError?.(err))
        .finally(() => {
          this.running = null;
          if (this.timer) this.timer = setTimeout(tick, this.opts.intervalMs ?? 1000);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Claims and sends one batch; returns how many were sent. */
  async runOnce(): Promise<number> {
    const now = new Date();
    const nowS = nowIso(now);
    const until = nowIso(new Date(now.getTime() + (this.opts.leaseMs ?? 60_000)));
    let due = this.db
      .selectFrom('outbox')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', nowS)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', nowS)]))
      .orderBy('next_attempt_at')
      .limit(this.opts.batchSize ?? 50);
    if (this.dialect === 'postgres') due = due.forUpdate().skipLocked();
    await this.db
      .updateTable('outbox')
      .set({ locked_by: this.holder, locked_until: until })
      .where('id', 'in', due)
      // Re-checked after a concurrent claim commits, so two workers never take the same row.
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', nowS)]))
      .where('status', '=', 'pending')
      .execute();
    const claimed = await this.db
      .selectFrom('outbox')
      .selectAll()
      .where('locked_by', '=', this.holder)
      .where('locked_until', '=', until)
      .where('status', '=', 'pending')
      .execute();
    // The claimed rows are leased to this worker alone, so they can be handed to the transport in
    // parallel: each row is sent once and then marked on its own, whatever the order. A pooled SMTP
    // transport reuses its connections; the bound keeps the mail server and the database calm.
    let sent = 0;
    let next = 0;
    const sendNext = async (): Promise<void> => {
      while (next < claimed.length) {
        const row = claimed[next++]!;
        if (await this.sendRow(row)) sent++;
      }
    };
    const lanes = Math.max(1, Math.min(this.opts.concurrency ?? 16, claimed.length));
    // Every lane finishes before the batch ends (a database error in one does not leave others running).
    const results = await Promise.allSettled(Array.from({ length: lanes }, sendNext));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return sent;
  }

  /** Hands one claimed row to the transport and records the outcome; true when it was sent. */
  private async sendRow(row: Selectable<OutboxTable>): Promise<boolean> {
    // The lease covers the batch from the claim; before each send it is renewed for this row, and a
    // row whose lease this worker no longer holds (expired during a slow batch and taken by another
    // process) is left to that process.
    const renewed = await this.db
      .updateTable('outbox')
      .set({ locked_until: nowIso(new Date(Date.now() + (this.opts.leaseMs ?? 60_000))) })
      .where('id', '=', row.id)
      .where('locked_by', '=', this.holder)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(renewed.numUpdatedRows) !== 1) return false;
    try {
      await this.transport.send({
        messageId: `<${row.id}@mamori.invalid>`,
        to: row.to_address,
        subject: row.subject,
        text: row.body_text,
      });
    } catch (err) {
      const attempts = row.attempts + 1;
      const permanent = isPermanentMailError(err) || attempts >= MAX_ATTEMPTS;
      await this.db
        .updateTable('outbox')
        .set({
          status: permanent ? 'failed' : 'pending',
          attempts,
          next_attempt_at: nowIso(new Date(Date.now() + backoffMs(attempts))),
          locked_by: null,
          locked_until: null,
          last_error: describeMailError(err),
        })
        .where('id', '=', row.id)
        .execute();
      return false;
    }
    await this.db
      .updateTable('outbox')
      .set({ status: 'sent', sent_at: nowIso(), attempts: sql`attempts + 1`, locked_by: null, locked_until: null, last_error: null })
      .where('id', '=', row.id)
      .where('locked_by', '=', this.holder)
      .execute();
    return true;
  }
}

/** SMTP 5xx at send time is permanent; 4xx and connection problems are retried. */
export function isPermanentMailError(err: unknown): boolean {
  const code = (err as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

function describeMailError(err: unknown): string {
  const e = err as { responseCode?: number; message?: string } | null;
  return `${e?.responseCode ?? ''} ${e?.message ?? String(err)}`.trim().slice(0, 500);
}
