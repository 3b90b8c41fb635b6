import type { Db } from '../db/index.js';
import { nowIso } from '../db/index.js';
import { newId } from './ids.js';

/**
 * Named leases in the `leases` table: a job that must run once across all shop processes (several
 * processes on one PostgreSQL) is run only by the process holding its lease. A lease expires on its
 * own, so a process killed with -9 holds nothing for longer than the lease's time-to-live.
 *
 * Acquiring is one statement in both databases: insert the lease, or take it over when it has expired
 * or is already ours (`INSERT … ON CONFLICT (name) DO UPDATE … WHERE`); the row count says who got it.
 */
export async function tryAcquireLease(db: Db, name: string, holder: string, ttlMs: number, now = new Date()): Promise<boolean> {
  const nowS = nowIso(now);
  const expires = nowIso(new Date(now.getTime() + ttlMs));
  const res = await db
    .insertInto('leases')
    .values({ name, holder, expires_at: expires })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder, expires_at: expires })
        .where((eb) => eb.or([eb('leases.expires_at', '<', nowS), eb('leases.holder', '=', holder)])),
    )
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/** Gives a lease up at once (only if this holder has it), so another process need not wait for it to expire. */
export async function releaseLease(db: Db, name: string, holder: string): Promise<void> {
  await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
}

export interface LeasedJobOptions {
  /** Lease name; one name = one job across the cluster. */
  name: string;
  /** How often the job runs across all processes (the lease is held this long after a run starts). */
  intervalMs: number;
  /** The work; errors go to onError. */
  run: () => Promise<unknown>;
  onError?: (err: unknown) => void;
  /** First attempt after this delay (default 0: at start). */
  initialDelayMs?: number;
  /** How often a process not holding the lease asks again (default: intervalMs / 4, at least 250 ms). */
  pollMs?: number;
}

/**
 * A periodic job run by exactly one process at a time, at most once per interval across processes.
 * Every process runs a `LeasedJob`; each poll, a process tries to take the job's lease for one
 * interval; the one that gets it runs the job (renewing the lease while a long run goes on) and keeps
 * the lease until the interval is over, so the others skip. When the holder dies, its lease expires
 * and the next poll of another process takes the job over.
 */
export class LeasedJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  readonly holder = newId('lease');
  /** Runs this process has made (for tests and logs). */
  runs = 0;

  constructor(
    private readonly db: Db,
    private readonly opts: LeasedJobOptions,
  ) {}

  start(): void {
    if (this.timer || this.stopped) return;
    this.schedule(this.opts.initialDelayMs ?? 0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().then(() => undefined, () => undefined).finally(() => {
        this.running = null;
        this.schedule(this.opts.pollMs ?? Math.max(250, Math.floor(this.opts.intervalMs / 4)));
      });
    }, delayMs);
    this.timer.unref();
  }

  /** One attempt: takes the lease if it is free and runs the job; true when this process ran it. */
  async tick(): Promise<boolean> {
    let acquired = false;
    try {
      acquired = await this.acquireFresh();
    } catch (err) {
      this.opts.onError?.(err);
      return false;
    }
    if (!acquired) return false;
    this.runs++;
    // A run longer than the interval keeps its lease: renewed at half the interval while it runs.
    const renew = setInterval(() => {
      tryAcquireLease(this.db, this.opts.name, this.holder, this.opts.intervalMs).catch((err: unknown) => this.opts.onError?.(err));
    }, Math.max(100, Math.floor(this.opts.intervalMs / 2)));
    renew.unref();
    try {
      await this.opts.run();
    } catch (err) {
      this.opts.onError?.(err);
    } finally {
      clearInterval(renew);
    }
    return true;
  }

  /**
   * Takes the lease only when it is free or expired — not when this process still holds it from its
   * own last run (that would run the job again before its interval is over).
   */
  private async acquireFresh(): Promise<boolean> {
    const now = new Date();
    const current = await this.db.selectFrom('leases').select(['holder', 'expires_at']).where('name', '=', this.opts.name).executeTakeFirst();
    if (current && current.expires_at >= nowIso(now)) return false;
    return tryAcquireLease(this.db, this.opts.name, this.holder, this.opts.intervalMs, now);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
