import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ProviderPaymentStatus, ThreeDsOutcome } from '../src/payments/provider.js';

/**
 * The PSP's own SQLite database, `<dataDir>/psp/psp.sqlite`: sessions/payments, card attempts,
 * refunds, events and webhook deliveries. Cards are kept as brand and last 4 only; there is no
 * column a full number, expiry or security code could go into. Parameterised statements only.
 */

export interface PaymentRow {
  id: string;
  idempotency_key: string;
  order_reference: string;
  order_number: string;
  /** The amount the session was created with (idempotency compares against it). */
  session_amount_yen: number;
  /** The payment's amount: the session amount, or less after a partial capture. */
  amount_yen: number;
  refunded_yen: number;
  currency: string;
  capture_method: 'automatic' | 'manual';
  status: ProviderPaymentStatus;
  brand: string | null;
  last4: string | null;
  three_ds: ThreeDsOutcome | null;
  failure_code: string | null;
  return_url: string;
  cancel_url: string;
  webhook_url: string;
  description: string;
  customer_email: string | null;
  expires_at: string;
  expires_at_ms: number;
  created_at: string;
  updated_at: string;
}

export type AttemptState = 'challenge' | 'processing' | 'succeeded' | 'failed' | 'abandoned';

export interface AttemptRow {
  id: string;
  payment_id: string;
  state: AttemptState;
  brand: string;
  last4: string;
  three_ds: ThreeDsOutcome | null;
  failure_code: string | null;
  challenge_failures: number;
  resolve_at_ms: number | null;
  created_at: string;
  updated_at: string;
}

export interface RefundRow {
  id: string;
  payment_id: string;
  idempotency_key: string;
  amount_yen: number;
  created_at: string;
}

export interface EventRow {
  id: string;
  payment_id: string;
  type: string;
  created_at: string;
  body: string;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface DeliveryRow {
  id: string;
  event_id: string;
  url: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at_ms: number | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
  created_at: string;
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE payments (
  id TEXT PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  order_reference TEXT NOT NULL,
  order_number TEXT NOT NULL,
  session_amount_yen INTEGER NOT NULL CHECK (session_amount_yen > 0),
  amount_yen INTEGER NOT NULL CHECK (amount_yen > 0),
  refunded_yen INTEGER NOT NULL DEFAULT 0 CHECK (refunded_yen >= 0 AND refunded_yen <= amount_yen),
  currency TEXT NOT NULL,
  capture_method TEXT NOT NULL,
  status TEXT NOT NULL,
  brand TEXT,
  last4 TEXT CHECK (last4 IS NULL OR length(last4) = 4),
  three_ds TEXT,
  failure_code TEXT,
  return_url TEXT NOT NULL,
  cancel_url TEXT NOT NULL,
  webhook_url TEXT NOT NULL,
  description TEXT NOT NULL,
  customer_email TEXT,
  expires_at TEXT NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX payments_expiry_idx ON payments (status, expires_at_ms);

CREATE TABLE attempts (
  id TEXT PRIMARY KEY,
  payment_id TEXT NOT NULL REFERENCES payments (id),
  state TEXT NOT NULL,
  brand TEXT NOT NULL,
  last4 TEXT NOT NULL CHECK (length(last4) = 4),
  three_ds TEXT,
  failure_code TEXT,
  challenge_failures INTEGER NOT NULL DEFAULT 0,
  resolve_at_ms INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX attempts_payment_idx ON attempts (payment_id, created_at);
CREATE INDEX attempts_state_idx ON attempts (state, resolve_at_ms);

CREATE TABLE refunds (
  id TEXT PRIMARY KEY,
  payment_id TEXT NOT NULL REFERENCES payments (id),
  idempotency_key TEXT NOT NULL,
  amount_yen INTEGER NOT NULL CHECK (amount_yen > 0),
  created_at TEXT NOT NULL,
  UNIQUE (payment_id, idempotency_key)
);

CREATE TABLE events (
  id TEXT PRIMARY KEY,
  payment_id TEXT NOT NULL REFERENCES payments (id),
  type TEXT NOT NULL,
  created_at TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX events_payment_idx ON events (payment_id, created_at);

CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE REFERENCES events (id),
  url TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at_ms INTEGER,
  last_status INTEGER,
  last_error TEXT,
  delivered_at TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX deliveries_due_idx ON deliveries (state, next_attempt_at_ms);
`;

export class PspStore {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(dataDir: string) {
    const dir = join(dataDir, 'psp');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.file = join(dir, 'psp.sqlite');
    this.db = new Database(this.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // Deleted rows are overwritten, not left behind in free pages.
    this.db.pragma('secure_delete = ON');
    this.migrate();
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version >= SCHEMA_VERSION) return;
    this.db.transaction(() => {
      this.db.exec(SCHEMA);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  }

  /** A prepared statement, compiled once per SQL text. */
  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `fn` in one transaction (better-sqlite3 transactions are synchronous). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  // ---- payments ----

  insertPayment(row: PaymentRow): void {
    this.stmt(
        `INSERT INTO payments (id, idempotency_key, order_reference, order_number, session_amount_yen, amount_yen, refunded_yen, currency,
           capture_method, status, brand, last4, three_ds, failure_code, return_url, cancel_url, webhook_url,
           description, customer_email, expires_at, expires_at_ms, created_at, updated_at)
         VALUES (@id, @idempotency_key, @order_reference, @order_number, @session_amount_yen, @amount_yen, @refunded_yen, @currency,
           @capture_method, @status, @brand, @last4, @three_ds, @failure_code, @return_url, @cancel_url, @webhook_url,
           @description, @customer_email, @expires_at, @expires_at_ms, @created_at, @updated_at)`,
      )
      .run(row);
  }

  getPayment(id: string): PaymentRow | undefined {
    return this.stmt('SELECT * FROM payments WHERE id = ?').get(id) as PaymentRow | undefined;
  }

  getPaymentByIdempotencyKey(key: string): PaymentRow | undefined {
    return this.stmt('SELECT * FROM payments WHERE idempotency_key = ?').get(key) as PaymentRow | undefined;
  }

  /** Writes the mutable columns of a payment. */
  updatePayment(row: PaymentRow): void {
    this.stmt(
        `UPDATE payments SET status = @status, amount_yen = @amount_yen, refunded_yen = @refunded_yen, brand = @brand,
           last4 = @last4, three_ds = @three_ds, failure_code = @failure_code, updated_at = @updated_at
         WHERE id = @id`,
      )
      .run({
        id: row.id,
        status: row.status,
        amount_yen: row.amount_yen,
        refunded_yen: row.refunded_yen,
        brand: row.brand,
        last4: row.last4,
        three_ds: row.three_ds,
        failure_code: row.failure_code,
        updated_at: row.updated_at,
      });
  }

  /** Open sessions whose expiry has passed and that are not waiting on a processing attempt. */
  expiredOpenPayments(nowMs: number): PaymentRow[] {
    return this.stmt(
        `SELECT * FROM payments p
         WHERE p.status IN ('pending', 'failed') AND p.expires_at_ms <= ?
           AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.payment_id = p.id AND a.state = 'processing')
         LIMIT 100`,
      )
      .all(nowMs) as PaymentRow[];
  }

  /** The earliest expiry among open sessions that `expiredOpenPayments` would pick up. */
  nextExpiryMs(): number | null {
    const row = this.stmt(
      `SELECT MIN(p.expires_at_ms) AS at FROM payments p
       WHERE p.status IN ('pending', 'failed')
         AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.payment_id = p.id AND a.state = 'processing')`,
    ).get() as { at: number | null };
    return row.at;
  }

  // ---- attempts ----

  insertAttempt(row: AttemptRow): void {
    this.stmt(
        `INSERT INTO attempts (id, payment_id, state, brand, last4, three_ds, failure_code, challenge_failures,
           resolve_at_ms, created_at, updated_at)
         VALUES (@id, @payment_id, @state, @brand, @last4, @three_ds, @failure_code, @challenge_failures,
           @resolve_at_ms, @created_at, @updated_at)`,
      )
      .run(row);
  }

  updateAttempt(row: AttemptRow): void {
    this.stmt(
        `UPDATE attempts SET state = @state, three_ds = @three_ds, failure_code = @failure_code,
           challenge_failures = @challenge_failures, resolve_at_ms = @resolve_at_ms, updated_at = @updated_at
         WHERE id = @id`,
      )
      .run({
        id: row.id,
        state: row.state,
        three_ds: row.three_ds,
        failure_code: row.failure_code,
        challenge_failures: row.challenge_failures,
        resolve_at_ms: row.resolve_at_ms,
        updated_at: row.updated_at,
      });
  }

  /** The attempt still in progress (3-D Secure challenge or processing), if any. */
  openAttempt(paymentId: string): AttemptRow | undefined {
    return this.stmt(
        `SELECT * FROM attempts WHERE payment_id = ? AND state IN ('challenge', 'processing')
         ORDER BY created_at DESC, rowid DESC LIMIT 1`,
      )
      .get(paymentId) as AttemptRow | undefined;
  }

  attempts(paymentId: string): AttemptRow[] {
    return this.stmt('SELECT * FROM attempts WHERE payment_id = ? ORDER BY created_at, rowid')
      .all(paymentId) as AttemptRow[];
  }

  dueProcessingAttempts(nowMs: number): AttemptRow[] {
    return this.stmt(`SELECT * FROM attempts WHERE state = 'processing' AND resolve_at_ms <= ? LIMIT 100`)
      .all(nowMs) as AttemptRow[];
  }

  nextAttemptResolveMs(): number | null {
    const row = this.stmt(`SELECT MIN(resolve_at_ms) AS at FROM attempts WHERE state = 'processing'`)
      .get() as { at: number | null };
    return row.at;
  }

  // ---- refunds ----

  insertRefund(row: RefundRow): void {
    this.stmt(
        `INSERT INTO refunds (id, payment_id, idempotency_key, amount_yen, created_at)
         VALUES (@id, @payment_id, @idempotency_key, @amount_yen, @created_at)`,
      )
      .run(row);
  }

  getRefund(paymentId: string, idempotencyKey: string): RefundRow | undefined {
    return this.stmt('SELECT * FROM refunds WHERE payment_id = ? AND idempotency_key = ?')
      .get(paymentId, idempotencyKey) as RefundRow | undefined;
  }

  refunds(paymentId: string): RefundRow[] {
    return this.stmt('SELECT * FROM refunds WHERE payment_id = ? ORDER BY created_at, rowid')
      .all(paymentId) as RefundRow[];
  }

  // ---- events and deliveries ----

  insertEvent(row: EventRow): void {
    this.stmt('INSERT INTO events (id, payment_id, type, created_at, body) VALUES (@id, @payment_id, @type, @created_at, @body)')
      .run(row);
  }

  events(paymentId: string): EventRow[] {
    return this.stmt('SELECT * FROM events WHERE payment_id = ? ORDER BY created_at, rowid')
      .all(paymentId) as EventRow[];
  }

  getEvent(id: string): EventRow | undefined {
    return this.stmt('SELECT * FROM events WHERE id = ?').get(id) as EventRow | undefined;
  }

  insertDelivery(row: DeliveryRow): void {
    this.stmt(
        `INSERT INTO deliveries (id, event_id, url, state, attempts, next_attempt_at_ms, last_status, last_error,
           delivered_at, created_at)
         VALUES (@id, @event_id, @url, @state, @attempts, @next_attempt_at_ms, @last_status, @last_error,
           @delivered_at, @created_at)`,
      )
      .run(row);
  }

  updateDelivery(row: DeliveryRow): void {
    this.stmt(
        `UPDATE deliveries SET state = @state, attempts = @attempts, next_attempt_at_ms = @next_attempt_at_ms,
           last_status = @last_status, last_error = @last_error, delivered_at = @delivered_at
         WHERE id = @id`,
      )
      .run({
        id: row.id,
        state: row.state,
        attempts: row.attempts,
        next_attempt_at_ms: row.next_attempt_at_ms,
        last_status: row.last_status,
        last_error: row.last_error,
        delivered_at: row.delivered_at,
      });
  }

  getDelivery(id: string): DeliveryRow | undefined {
    return this.stmt('SELECT * FROM deliveries WHERE id = ?').get(id) as DeliveryRow | undefined;
  }

  deliveryForEvent(eventId: string): DeliveryRow | undefined {
    return this.stmt('SELECT * FROM deliveries WHERE event_id = ?').get(eventId) as DeliveryRow | undefined;
  }

  /** Pending deliveries that are due, oldest first. */
  dueDeliveries(nowMs: number, limit: number): (DeliveryRow & { body: string })[] {
    return this.stmt(
        `SELECT d.*, e.body AS body FROM deliveries d JOIN events e ON e.id = d.event_id
         WHERE d.state = 'pending' AND d.next_attempt_at_ms <= ?
         ORDER BY d.next_attempt_at_ms, d.rowid LIMIT ?`,
      )
      .all(nowMs, limit) as (DeliveryRow & { body: string })[];
  }

  /** The earliest pending deliveries (id and due time), soonest first. */
  nextDeliveries(limit: number): { id: string; next_attempt_at_ms: number }[] {
    return this.stmt(
      `SELECT id, next_attempt_at_ms FROM deliveries WHERE state = 'pending'
       ORDER BY next_attempt_at_ms, rowid LIMIT ?`,
    ).all(limit) as { id: string; next_attempt_at_ms: number }[];
  }
}
