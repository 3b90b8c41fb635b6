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
  /** How often the job runs (in the one process that holds its lease). */
  intervalMs: number;
  /**
   * The work; `takeover` is true on the first run after this process took the job (at its start, or
   * from a process that died): work a dead holder may have left half done is looked at then.
   */
  run: (ctx: { takeover: boolean }) => Promise<unknown>;
  onError?: (err: unknown) => void;
  /** Lease time-to-live (default 10 s): after its holder died, another process takes the job over within this. */
  leaseMs?: number;
}

/**
 * A periodic job run by one process of a cluster at a time. Every process runs a `LeasedJob`; each
 * polls (every third of the lease) to take or renew the job's lease. The holder renews it while it
 * lives and runs the job every interval — at once when it has just taken the job over. When the
 * holder dies, its lease expires and the next poll of another process takes the job over; on a clean
 * stop the holder gives the lease up at once.
 */
export class LeasedJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private leader = false;
  private lastRun = 0;
  readonly holder = newId('lease');
  /** Runs this process has made (for tests and logs). */
  runs = 0;

  constructor(
    private readonly db: Db,
    private readonly opts: LeasedJobOptions,
  ) {}

  private get leaseMs(): number {
    return this.opts.leaseMs ?? 10_000;
  }

  start(): void {
    if (this.timer || this.stopped) return;
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().then(() => undefined, () => undefined).finally(() => {
        this.running = null;
        this.schedule(Math.max(100, Math.floor(this.leaseMs / 3)));
      });
    }, delayMs);
    this.timer.unref();
  }

  /** One poll: takes or renews the lease, and runs the job when it is due; true when it ran. */
  async tick(now = Date.now()): Promise<boolean> {
    let held: boolean;
    try {
      held = await tryAcquireLease(this.db, this.opts.name, this.holder, this.leaseMs, new Date(now));
    } catch (err) {
      this.opts.onError?.(err);
      return false;
    }
    if (!held) {
      this.leader = false;
      return false;
    }
    const takeover = !this.leader;
    this.leader = true;
    if (!takeover && now - this.lastRun < this.opts.intervalMs) return false;
    this.lastRun = now;
    this.runs++;
    // A run longer than the lease keeps it: renewed every third of the lease while it goes on.
    const renew = setInterval(() => {
      tryAcquireLease(this.db, this.opts.name, this.holder, this.leaseMs).catch((err: unknown) => this.opts.onError?.(err));
    }, Math.max(100, Math.floor(this.leaseMs / 3)));
    renew.unref();
    try {
      await this.opts.run({ takeover });
    } catch (err) {
      this.opts.onError?.(err);
    } finally {
      clearInterval(renew);
    }
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    if (this.leader) await releaseLease(this.db, this.opts.name, this.holder).catch(() => undefined);
    this.leader = false;
  }
}
