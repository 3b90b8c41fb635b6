import type { FastifyBaseLogger } from 'fastify';
import { SANDBOX_SIGNATURE_HEADER, signSandboxWebhook } from '../src/payments/providers/sandbox-signature.js';
import type { PaymentEngine } from './payments.js';
import type { DeliveryRow, PspStore } from './store.js';

/** Concurrent webhook requests; one slow receiver cannot hold back the others. */
const MAX_IN_FLIGHT = 20;

export interface WorkerOptions {
  webhookSecret: string;
  /** First retry delay; attempt n waits base × 2^(n−1). */
  retryBaseMs: number;
  maxAttempts: number;
  /** Upper bound on one wait, so a long backoff still ends. */
  maxRetryDelayMs?: number;
  requestTimeoutMs?: number;
  /** Longest sleep when nothing is due (new work wakes the worker at once). */
  idleMs?: number;
  log: FastifyBaseLogger;
}

/**
 * The background loop of the PSP: expires sessions, resolves "timeout" attempts and delivers
 * webhooks (stored, signed, retried with exponential backoff until a 2xx; every retry re-sends the
 * same body, so the same eventId). `stop()` cancels in-flight deliveries and waits for them.
 */
export class Worker {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly store: PspStore,
    private readonly engine: PaymentEngine,
    private readonly opts: WorkerOptions,
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** Run a tick soon: something was written that may be due now. */
  wake(): void {
    if (!this.stopped) this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort.abort();
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), Math.max(0, delayMs));
    // The HTTP server keeps the process alive; this timer alone must not.
    this.timer.unref();
  }

  private tick(): void {
    this.timer = null;
    if (this.stopped) return;
    try {
      this.engine.sweep();
      const due = this.store.dueDeliveries(Date.now(), MAX_IN_FLIGHT + this.inFlight.size);
      for (const delivery of due) {
        if (this.inFlight.size >= MAX_IN_FLIGHT) break;
        if (this.inFlight.has(delivery.id)) continue;
        const run = this.deliver(delivery).finally(() => {
          this.inFlight.delete(delivery.id);
          this.wake();
        });
        this.inFlight.set(delivery.id, run);
      }
    } catch (err) {
      this.opts.log.error({ err }, 'psp worker tick failed');
    }
    this.scheduleNext();
  }

  private scheduleNext(): void {
    const idle = this.opts.idleMs ?? 30_000;
    // Deliveries in flight stay pending (and due) until they finish, and wake the worker then.
    const nextDelivery =
      this.inFlight.size >= MAX_IN_FLIGHT
        ? null
        : this.store.nextDeliveries(this.inFlight.size + 1).find((d) => !this.inFlight.has(d.id))?.next_attempt_at_ms ?? null;
    const candidates = [this.engine.nextDueMs(), nextDelivery].filter((t): t is number => t !== null);
    const delay = candidates.length === 0 ? idle : Math.min(idle, Math.max(0, Math.min(...candidates) - Date.now()));
    this.schedule(delay);
  }

  private async deliver(delivery: DeliveryRow & { body: string }): Promise<void> {
    const timestamp = Math.floor(Date.now() / 1000);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Mamori-PSP-Sandbox/1',
          [SANDBOX_SIGNATURE_HEADER]: signSandboxWebhook(this.opts.webhookSecret, delivery.body, timestamp),
        },
        body: delivery.body,
        redirect: 'manual',
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.opts.requestTimeoutMs ?? 10_000)]),
      });
      status = res.status;
      await res.body?.cancel().catch(() => undefined);
    } catch (err) {
      if (this.stopped) return; // shutting down: leave the delivery due, it is retried after a restart
      error = describeFetchError(err);
    }
    if (this.stopped && status === null) return;

    const attempts = delivery.attempts + 1;
    const nowMs = Date.now();
    if (status !== null && status >= 200 && status < 300) {
      this.store.updateDelivery({
        ...delivery,
        state: 'delivered',
        attempts,
        next_attempt_at_ms: null,
        last_status: status,
        last_error: null,
        delivered_at: new Date(nowMs).toISOString(),
      });
      return;
    }
    const giveUp = attempts >= this.opts.maxAttempts;
    const delay = Math.min(this.opts.retryBaseMs * 2 ** (attempts - 1), this.opts.maxRetryDelayMs ?? 60 * 60 * 1000);
    this.store.updateDelivery({
      ...delivery,
      state: giveUp ? 'failed' : 'pending',
      attempts,
      next_attempt_at_ms: giveUp ? null : nowMs + delay,
      last_status: status,
      last_error: error ?? `HTTP ${status ?? 'error'}`,
    });
    this.opts.log.warn(
      { deliveryId: delivery.id, eventId: delivery.event_id, attempts, status, error, giveUp },
      giveUp ? 'webhook delivery gave up' : 'webhook delivery failed, will retry',
    );
  }
}

/** `TypeError: fetch failed (ECONNREFUSED)` rather than just `fetch failed`. */
function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return 'request failed';
  const cause = (err as { cause?: unknown }).cause;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return `${err.name}: ${err.message}${typeof code === 'string' ? ` (${code})` : ''}`.slice(0, 300);
}
