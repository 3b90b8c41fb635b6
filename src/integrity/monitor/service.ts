import type { AlertService } from '../../alerts/service.js';
import type { AuditLog } from '../../admin/audit.js';
import type { Db } from '../../db/index.js';
import { nowIso } from '../../db/index.js';
import type { OrderService } from '../../checkout/service.js';
import type { PaymentService } from '../../payments/service.js';
import { newId, sha256Hex } from '../../shared/ids.js';
import type { MonitorBaselineTable, MonitorRunTable } from '../tables.js';
import { cardFieldFindings, compareObservations, stepLabel, type Difference } from './compare.js';
import { looksLikeCardField, observationSchema, type Observation } from './observation.js';

/** Runs are kept this long (the baselines for ever). */
const KEEP_RUNS_DAYS = 30;

export interface RecordedRun {
  runId: string;
  outcome: MonitorRunTable['outcome'];
  baselineId: string | null;
  differences: Difference[];
}

export interface MonitorStatus {
  baseline: (Omit<MonitorBaselineTable, 'observation'> & { observation: Observation }) | null;
  runs: MonitorRunTable[];
  /** The latest run that could become the baseline, and how it differs from the approved one. */
  candidate: { run: MonitorRunTable; observation: Observation; differences: Difference[] } | null;
}

export class ApprovalRefused extends Error {}

/**
 * The shop's side of the external monitor (issue #5, Layer 3). The monitor walks the buyer path from
 * wherever it runs and posts what it saw; here each walk is stored, compared with the approved
 * baseline, and every difference is raised as an alert (the critical ones suspend card payments
 * through the alert response). The monitor's order is cancelled and its stock given back at once.
 */
export class MonitorService {
  constructor(
    private readonly db: Db,
    private readonly deps: { alerts: AlertService; orders: OrderService; payments: PaymentService; audit: AuditLog },
  ) {}

  parse(body: unknown): { ok: true; observation: Observation } | { ok: false; message: string } {
    const r = observationSchema.safeParse(body);
    if (r.success) return { ok: true, observation: r.data };
    return { ok: false, message: r.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  }

  /** The baseline in force: the latest approved. */
  async baseline(): Promise<(MonitorBaselineTable & { parsed: Observation }) | null> {
    const row = await this.db.selectFrom('monitor_baselines').selectAll().orderBy('approved_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
    return row ? { ...row, parsed: JSON.parse(row.observation) as Observation } : null;
  }

  /** Gives back what the monitor's orders hold: its provider sessions are cancelled, the stock returns. */
  async releaseMonitorOrders(): Promise<number> {
    let n = 0;
    for (const id of await this.deps.orders.openMonitorOrders()) {
      await this.deps.payments.cancelOrderSessions(id, 'monitor');
      if (await this.deps.orders.cancelMonitorOrder(id)) n++;
    }
    return n;
  }

  async record(observation: Observation, sourceIp: string): Promise<RecordedRun> {
    await this.releaseMonitorOrders();
    const baseline = await this.baseline();
    // Card fields on a shop page are alerted with or without a baseline: they are never right.
    const differences = baseline ? compareObservations(baseline.parsed, observation) : cardFieldFindings(observation);
    const outcome: MonitorRunTable['outcome'] = observation.error ? 'failed' : !baseline ? 'no_baseline' : differences.length ? 'differences' : 'clean';
    const run: MonitorRunTable = {
      id: newId('mrn'),
      received_at: nowIso(),
      started_at: observation.startedAt.slice(0, 40),
      finished_at: observation.finishedAt.slice(0, 40),
      outcome,
      error: observation.error,
      observation: JSON.stringify(observation),
      baseline_id: baseline?.id ?? null,
      differences: JSON.stringify(differences),
      source_ip: sourceIp.slice(0, 100),
    };
    await this.db.insertInto('monitor_runs').values(run).execute();
    for (const d of differences) {
      await this.deps.alerts.raise({
        severity: d.severity,
        kind: d.kind,
        message: d.message,
        dedupeKey: `monitor:${d.kind}:${sha256Hex(d.key).slice(0, 24)}`,
        evidence: { source: 'external monitor', step: d.step, stepLabel: stepLabel(d.step), diff: d.diff.join('\n'), runId: run.id, baselineId: baseline?.id ?? null, observedAt: observation.finishedAt },
      });
    }
    if (observation.error) {
      await this.deps.alerts.raise({
        severity: 'warning',
        kind: 'monitor_run_failed',
        message: `外部監視が購入の流れを最後まで確認できませんでした: ${observation.error.slice(0, 300)}`,
        evidence: { source: 'external monitor', runId: run.id, reached: observation.steps.map((s) => s.step).join(' → ') || '(none)', error: observation.error },
      });
    }
    await this.db.deleteFrom('monitor_runs').where('received_at', '<', nowIso(new Date(Date.now() - KEEP_RUNS_DAYS * 86_400_000))).execute();
    return { runId: run.id, outcome, baselineId: baseline?.id ?? null, differences };
  }

  async status(limit = 20): Promise<MonitorStatus> {
    const [baseline, runs] = await Promise.all([
      this.baseline(),
      this.db.selectFrom('monitor_runs').selectAll().orderBy('received_at', 'desc').orderBy('id', 'desc').limit(limit).execute(),
    ]);
    const latestGood = runs.find((r) => r.outcome !== 'failed');
    let candidate: MonitorStatus['candidate'] = null;
    if (latestGood) {
      const observation = JSON.parse(latestGood.observation) as Observation;
      candidate = { run: latestGood, observation, differences: baseline ? compareObservations(baseline.parsed, observation) : cardFieldFindings(observation) };
    }
    return {
      baseline: baseline ? { id: baseline.id, run_id: baseline.run_id, approved_at: baseline.approved_at, approved_by: baseline.approved_by, reason: baseline.reason, observation: baseline.parsed } : null,
      runs,
      candidate,
    };
  }

  /** Why a run cannot become the baseline, or null. */
  refusal(run: MonitorRunTable): string | null {
    if (run.outcome === 'failed') return 'この監視結果は途中で止まっています。購入の流れを最後まで確認できた結果だけを承認できます。';
    const obs = JSON.parse(run.observation) as Observation;
    if (obs.cardUnavailable || !obs.providerOrigin) return 'この監視結果は決済代行会社のページまで到達していません（カード決済の停止中など）。到達した結果を承認してください。';
    if (obs.steps.some((s) => s.step !== 'provider' && s.origin === obs.shopOrigin && s.inputs.some(looksLikeCardField))) {
      return 'ショップのページにカード情報の入力欄があるため、この結果は承認できません。';
    }
    if (obs.steps.some((s) => s.step === 'interstitial')) return 'ご注文確定から決済代行会社までの間にショップのページが表示されています。この結果は承認できません。';
    return null;
  }

  /** Makes a run the approved baseline: an audited action of a security user (the caller checks the role). */
  async approve(runId: string, actor: string, reason: string): Promise<MonitorBaselineTable> {
    const run = await this.db.selectFrom('monitor_runs').selectAll().where('id', '=', runId).executeTakeFirst();
    if (!run) throw new ApprovalRefused('指定された監視結果が見つかりません。');
    const refused = this.refusal(run);
    if (refused) throw new ApprovalRefused(refused);
    const previous = await this.baseline();
    const differences = previous ? compareObservations(previous.parsed, JSON.parse(run.observation) as Observation) : [];
    const row: MonitorBaselineTable = { id: newId('mbl'), run_id: run.id, observation: run.observation, approved_at: nowIso(), approved_by: actor, reason };
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('monitor_baselines').values(row).execute();
      await this.deps.audit.append({
        actor,
        action: 'integrity.monitor_baseline_approve',
        target: row.id,
        detail: { runId: run.id, previousBaselineId: previous?.id ?? null, reason, differences: differences.map((d) => `${d.kind} ${d.step}: ${d.diff.join(' | ')}`.slice(0, 300)).slice(0, 30) },
      }, trx);
    });
    return row;
  }
}
