import type { ProviderPayment, ProviderPaymentStatus, ThreeDsOutcome } from '../src/payments/provider.js';
import type { CreateSessionRequest, SandboxWebhookEventType } from '../src/payments/providers/sandbox-protocol.js';
import { newId, safeEqual } from '../src/shared/ids.js';
import { THREE_DS_MAX_TRIES, THREE_DS_TEST_CODE, type ValidCard } from './cards.js';
import type { AttemptRow, PaymentRow, PspStore, RefundRow } from './store.js';

/** An answer the API turns into a 4xx with a JSON error code. */
export class PspError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PspError';
  }
}

export interface EngineOptions {
  /** How long a "timeout" test card stays pending before it fails. */
  timeoutDelayMs: number;
  /** Called after a transaction that wrote something the background worker must look at. */
  onWork: () => void;
  now?: () => number;
}

export type CardResult =
  | { kind: 'not_payable' }
  | { kind: 'finished'; payment: PaymentRow }
  | { kind: 'challenge' }
  | { kind: 'processing' };

export type ChallengeResult =
  | { kind: 'not_payable' }
  | { kind: 'finished'; payment: PaymentRow }
  | { kind: 'retry'; triesLeft: number };

const MAX_SESSION_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

export function toProviderPayment(row: PaymentRow): ProviderPayment {
  return {
    providerPaymentId: row.id,
    orderReference: row.order_reference,
    status: row.status,
    amountYen: row.amount_yen,
    refundedYen: row.refunded_yen,
    brand: row.brand,
    last4: row.last4,
    threeDs: row.three_ds,
    failureCode: row.failure_code,
  };
}

/**
 * Every state change of a payment happens here, in one transaction together with the event and
 * its webhook delivery row (an outbox): a change is never visible without its webhook queued.
 */
export class PaymentEngine {
  private readonly now: () => number;

  constructor(
    private readonly store: PspStore,
    private readonly opts: EngineOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  // ---- sessions ----

  createSession(req: CreateSessionRequest): { created: boolean; payment: PaymentRow } {
    const nowMs = this.now();
    const expiresAtMs = Date.parse(req.expiresAt);
    const result = this.store.transaction(() => {
      const existing = this.store.getPaymentByIdempotencyKey(req.idempotencyKey);
      if (existing) {
        if (existing.session_amount_yen !== req.amountYen || existing.order_reference !== req.orderReference) {
          throw new PspError(409, 'idempotency_conflict', 'This idempotencyKey was used with a different amount or orderReference');
        }
        return { created: false, payment: existing };
      }
      if (expiresAtMs <= nowMs) throw new PspError(400, 'invalid_expires_at', 'expiresAt must be in the future');
      if (expiresAtMs > nowMs + MAX_SESSION_LIFETIME_MS) {
        throw new PspError(400, 'invalid_expires_at', 'expiresAt must be at most 7 days ahead');
      }
      const at = new Date(nowMs).toISOString();
      const row: PaymentRow = {
        id: newId('pay'),
        idempotency_key: req.idempotencyKey,
        order_reference: req.orderReference,
        order_number: req.orderNumber,
        session_amount_yen: req.amountYen,
        amount_yen: req.amountYen,
        refunded_yen: 0,
        currency: req.currency,
        capture_method: req.captureMethod ?? 'automatic',
        status: 'pending',
        brand: null,
        last4: null,
        three_ds: null,
        failure_code: null,
        return_url: req.returnUrl,
        cancel_url: req.cancelUrl,
        webhook_url: req.webhookUrl,
        description: req.description,
        customer_email: req.customerEmail,
        expires_at: new Date(expiresAtMs).toISOString(),
        expires_at_ms: expiresAtMs,
        created_at: at,
        updated_at: at,
      };
      this.store.insertPayment(row);
      return { created: true, payment: row };
    });
    if (result.created) this.opts.onWork(); // the worker must learn about the new expiry
    return result;
  }

  /** The payment after applying any expiry or timeout that is due. */
  get(id: string): PaymentRow | undefined {
    this.sweep();
    return this.store.getPayment(id);
  }

  openAttempt(paymentId: string): AttemptRow | undefined {
    return this.store.openAttempt(paymentId);
  }

  /** True when the hosted page may take a card for this payment right now. */
  isPayable(row: PaymentRow): boolean {
    if (row.status !== 'pending' && row.status !== 'failed') return false;
    if (row.expires_at_ms <= this.now()) return false;
    return this.store.openAttempt(row.id)?.state !== 'processing';
  }

  // ---- hosted page ----

  submitCard(paymentId: string, card: ValidCard): CardResult {
    this.sweep();
    const nowMs = this.now();
    const at = new Date(nowMs).toISOString();
    const result = this.store.transaction((): CardResult => {
      const row = this.store.getPayment(paymentId);
      if (!row || !this.isPayable(row)) return { kind: 'not_payable' };
      this.abandonOpenAttempt(row.id, at);
      const attempt: AttemptRow = {
        id: newId('att'),
        payment_id: row.id,
        state: 'failed',
        brand: card.brand,
        last4: card.last4,
        three_ds: 'frictionless',
        failure_code: null,
        challenge_failures: 0,
        resolve_at_ms: null,
        created_at: at,
        updated_at: at,
      };
      switch (card.scenario.kind) {
        case 'approve':
          this.store.insertAttempt({ ...attempt, state: 'succeeded' });
          return { kind: 'finished', payment: this.approve(row, attempt, 'frictionless', at) };
        case 'decline':
          this.store.insertAttempt({ ...attempt, failure_code: card.scenario.failureCode });
          return { kind: 'finished', payment: this.decline(row, attempt, 'frictionless', card.scenario.failureCode, at) };
        case '3ds_fail':
          this.store.insertAttempt({ ...attempt, three_ds: 'challenge_failed', failure_code: '3ds_failed' });
          return { kind: 'finished', payment: this.decline(row, attempt, 'challenge_failed', '3ds_failed', at) };
        case 'challenge':
          this.store.insertAttempt({ ...attempt, state: 'challenge', three_ds: null });
          return { kind: 'challenge' };
        case 'timeout':
          this.store.insertAttempt({ ...attempt, state: 'processing', resolve_at_ms: nowMs + this.opts.timeoutDelayMs });
          return { kind: 'processing' };
      }
    });
    this.opts.onWork();
    return result;
  }

  submitChallenge(paymentId: string, code: string): ChallengeResult {
    this.sweep();
    const at = new Date(this.now()).toISOString();
    const result = this.store.transaction((): ChallengeResult => {
      const row = this.store.getPayment(paymentId);
      if (!row || !this.isPayable(row)) return { kind: 'not_payable' };
      const attempt = this.store.openAttempt(row.id);
      if (attempt?.state !== 'challenge') return { kind: 'not_payable' };
      if (safeEqual(code, THREE_DS_TEST_CODE)) {
        this.store.updateAttempt({ ...attempt, state: 'succeeded', three_ds: 'challenge_passed', updated_at: at });
        return { kind: 'finished', payment: this.approve(row, attempt, 'challenge_passed', at) };
      }
      const failures = attempt.challenge_failures + 1;
      if (failures >= THREE_DS_MAX_TRIES) {
        this.store.updateAttempt({
          ...attempt,
          state: 'failed',
          three_ds: 'challenge_failed',
          failure_code: '3ds_failed',
          challenge_failures: failures,
          updated_at: at,
        });
        return { kind: 'finished', payment: this.decline(row, attempt, 'challenge_failed', '3ds_failed', at) };
      }
      this.store.updateAttempt({ ...attempt, challenge_failures: failures, updated_at: at });
      return { kind: 'retry', triesLeft: THREE_DS_MAX_TRIES - failures };
    });
    this.opts.onWork();
    return result;
  }

  // ---- server API ----

  capture(id: string, amountYen: number | undefined): PaymentRow {
    this.sweep();
    const at = new Date(this.now()).toISOString();
    const result = this.store.transaction(() => {
      const row = this.mustGet(id);
      if (row.status === 'paid' && (amountYen === undefined || amountYen === row.amount_yen)) return row; // repeated capture
      if (row.status !== 'authorized') {
        throw new PspError(409, 'payment_not_capturable', `A payment in status ${row.status} cannot be captured`);
      }
      if (amountYen !== undefined && amountYen > row.amount_yen) {
        throw new PspError(422, 'amount_exceeds_authorized', 'The capture amount exceeds the authorized amount');
      }
      return this.transition(row, { status: 'paid', amount_yen: amountYen ?? row.amount_yen }, 'payment.paid', at);
    });
    this.opts.onWork();
    return result;
  }

  cancel(id: string): PaymentRow {
    this.sweep();
    const at = new Date(this.now()).toISOString();
    const result = this.store.transaction(() => {
      const row = this.mustGet(id);
      if (row.status === 'cancelled') return row;
      if (row.status !== 'pending' && row.status !== 'failed' && row.status !== 'authorized') {
        throw new PspError(409, 'payment_not_cancellable', `A payment in status ${row.status} cannot be cancelled`);
      }
      this.abandonOpenAttempt(row.id, at);
      return this.transition(row, { status: 'cancelled' }, 'payment.cancelled', at);
    });
    this.opts.onWork();
    return result;
  }

  refund(id: string, amountYen: number, idempotencyKey: string): { created: boolean; payment: PaymentRow; refund: RefundRow } {
    this.sweep();
    const at = new Date(this.now()).toISOString();
    const result = this.store.transaction(() => {
      const row = this.mustGet(id);
      const existing = this.store.getRefund(row.id, idempotencyKey);
      if (existing) {
        if (existing.amount_yen !== amountYen) {
          throw new PspError(409, 'idempotency_conflict', 'This idempotencyKey was used for a refund of a different amount');
        }
        return { created: false, payment: row, refund: existing };
      }
      if (row.status !== 'paid' && row.status !== 'partially_refunded') {
        throw new PspError(409, 'payment_not_refundable', `A payment in status ${row.status} cannot be refunded`);
      }
      const refundable = row.amount_yen - row.refunded_yen;
      if (amountYen > refundable) {
        throw new PspError(422, 'amount_exceeds_refundable', `At most ${refundable} yen can still be refunded`);
      }
      const refund: RefundRow = { id: newId('re'), payment_id: row.id, idempotency_key: idempotencyKey, amount_yen: amountYen, created_at: at };
      this.store.insertRefund(refund);
      const refunded = row.refunded_yen + amountYen;
      const status: ProviderPaymentStatus = refunded === row.amount_yen ? 'refunded' : 'partially_refunded';
      return { created: true, payment: this.transition(row, { status, refunded_yen: refunded }, 'payment.refunded', at), refund };
    });
    this.opts.onWork();
    return result;
  }

  // ---- background ----

  /** Expires sessions and resolves "timeout" attempts that are due. Cheap when nothing is due. */
  sweep(): void {
    const nowMs = this.now();
    const at = new Date(nowMs).toISOString();
    let changed = false;
    for (const attempt of this.store.dueProcessingAttempts(nowMs)) {
      this.store.transaction(() => {
        const current = this.store.openAttempt(attempt.payment_id);
        if (current?.id !== attempt.id || current.state !== 'processing') return;
        this.store.updateAttempt({ ...current, state: 'failed', failure_code: 'timeout', resolve_at_ms: null, updated_at: at });
        const row = this.store.getPayment(current.payment_id);
        if (row && (row.status === 'pending' || row.status === 'failed')) {
          this.decline(row, current, current.three_ds ?? 'not_attempted', 'timeout', at);
        }
        changed = true;
      });
    }
    for (const expired of this.store.expiredOpenPayments(nowMs)) {
      this.store.transaction(() => {
        const row = this.store.getPayment(expired.id);
        if (!row || (row.status !== 'pending' && row.status !== 'failed') || row.expires_at_ms > nowMs) return;
        this.abandonOpenAttempt(row.id, at);
        this.transition(row, { status: 'expired' }, 'payment.expired', at);
        changed = true;
      });
    }
    if (changed) this.opts.onWork();
  }

  /** When the next expiry or timeout falls due (ms since epoch), or null. */
  nextDueMs(): number | null {
    const times = [this.store.nextExpiryMs(), this.store.nextAttemptResolveMs()].filter((t): t is number => t !== null);
    return times.length === 0 ? null : Math.min(...times);
  }

  // ---- internals ----

  private mustGet(id: string): PaymentRow {
    const row = this.store.getPayment(id);
    if (!row) throw new PspError(404, 'not_found', 'No such payment');
    return row;
  }

  private abandonOpenAttempt(paymentId: string, at: string): void {
    const open = this.store.openAttempt(paymentId);
    if (open?.state === 'challenge') this.store.updateAttempt({ ...open, state: 'abandoned', updated_at: at });
  }

  private approve(row: PaymentRow, attempt: AttemptRow, threeDs: ThreeDsOutcome, at: string): PaymentRow {
    const manual = row.capture_method === 'manual';
    return this.transition(
      row,
      { status: manual ? 'authorized' : 'paid', brand: attempt.brand, last4: attempt.last4, three_ds: threeDs, failure_code: null },
      manual ? 'payment.authorized' : 'payment.paid',
      at,
    );
  }

  private decline(row: PaymentRow, attempt: AttemptRow, threeDs: ThreeDsOutcome, failureCode: string, at: string): PaymentRow {
    return this.transition(
      row,
      { status: 'failed', brand: attempt.brand, last4: attempt.last4, three_ds: threeDs, failure_code: failureCode },
      'payment.failed',
      at,
    );
  }

  /** Writes the change and queues its event and webhook delivery. Call inside a transaction. */
  private transition(row: PaymentRow, patch: Partial<PaymentRow>, type: SandboxWebhookEventType, at: string): PaymentRow {
    const next: PaymentRow = { ...row, ...patch, updated_at: at };
    this.store.updatePayment(next);
    const eventId = newId('evt');
    const body = JSON.stringify({ eventId, type, createdAt: at, payment: toProviderPayment(next) });
    this.store.insertEvent({ id: eventId, payment_id: next.id, type, created_at: at, body });
    this.store.insertDelivery({
      id: newId('whd'),
      event_id: eventId,
      url: next.webhook_url,
      state: 'pending',
      attempts: 0,
      next_attempt_at_ms: this.now(),
      last_status: null,
      last_error: null,
      delivered_at: null,
      created_at: at,
    });
    return next;
  }
}
