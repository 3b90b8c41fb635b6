import type { AuditLog, VerifyResult } from '../admin/audit.js';
import type { AlertService } from '../alerts/service.js';
import { silentLogger, type IntegrityLogger } from './logger.js';

export interface AuditWatchOptions {
  audit: AuditLog;
  alerts: AlertService;
  /** Tail check period (default 2 s). */
  intervalMs?: number;
  /** Full chain check period (default 60 s). */
  fullEveryMs?: number;
  /** Newest entries checked at every tail check (default 200). */
  tail?: number;
  /** One process of a cluster checks at a time. */
  gate?: () => Promise<boolean>;
  logger?: IntegrityLogger;
}

/**
 * Watches the audit log for edits made outside the application (a direct write to the database,
 * drill 11): every few seconds the newest entries are re-hashed and re-linked, the count is
 * compared with the highest sequence, and an entry seen earlier must keep its hash (a rewritten
 * chain); every minute the whole chain is verified. A break raises a critical
 * `audit_log_tampered` alert, which suspends card payments: whoever can edit the audit log can
 * edit the payment settings too.
 */
export class AuditChainWatch {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private closed = false;
  private known: { seq: number; hash: string } | null = null;
  private lastFull = 0;
  private readonly log: IntegrityLogger;

  constructor(private readonly opts: AuditWatchOptions) {
    this.log = opts.logger ?? silentLogger;
  }

  async start(): Promise<void> {
    await this.tick();
    const loop = () => {
      this.timer = setTimeout(() => {
        this.running = this.tick()
          .catch((err: unknown) => this.log.error({ err }, 'audit log check failed'))
          .finally(() => {
            if (!this.closed) loop();
          });
      }, this.opts.intervalMs ?? 2000);
      this.timer.unref();
    };
    loop();
  }

  private async tick(): Promise<void> {
    if (this.opts.gate && !(await this.opts.gate())) return;
    await this.check();
  }

  /** One check (full when due); raises the alert itself. */
  async check(): Promise<VerifyResult> {
    const full = Date.now() - this.lastFull >= (this.opts.fullEveryMs ?? 60_000);
    const r = full ? await this.opts.audit.verify() : await this.opts.audit.verifyTail(this.opts.tail ?? 200, this.known);
    if (full) this.lastFull = Date.now();
    if (r.ok) {
      const lastSeq = 'lastSeq' in r ? (r as { lastSeq: number }).lastSeq : r.entries;
      this.known = { seq: lastSeq, hash: r.lastHash };
      return r;
    }
    await this.opts.alerts.raise({
      severity: 'critical', kind: 'audit_log_tampered',
      message: `監査ログが管理画面の外で変更されました: ${r.message}`,
      evidence: { problem: r.problem, seq: r.seq, detail: r.message },
      dedupeKey: `audit_log_tampered:${r.problem}:${r.seq}`,
    });
    return r;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
