import { sql } from 'kysely';
import type { AlertListener } from '../alerts/service.js';
import type { AlertTable } from '../alerts/tables.js';
import type { Db } from '../db/index.js';
import { nowIso } from '../db/index.js';
import { enqueueMail } from '../notify/outbox.js';
import type { CardPaymentState } from '../payments/killswitch.js';
import { RateLimiter } from '../shared/ratelimit.js';
import { silentLogger, type IntegrityLogger } from './logger.js';
import { integrityDb } from './tables.js';

/**
 * What happens when an alert is raised: security contacts are mailed and the webhook is posted
 * (new alerts only), and a critical alert of a kind that means "the payment path may be
 * compromised" suspends card payments through the kill switch, with the alert as the reason.
 */

/** Critical alerts of these kinds suspend card payments at once. */
export const IMMEDIATE_SUSPEND_KINDS: readonly string[] = [
  // Layer 3, the external monitor (names for its author to use):
  'unknown_script_payment_path', // a script not in the approved baseline on a checkout/payment page
  'unknown_host_payment_path', // an outgoing request to an unapproved host from those pages
  'form_action_changed', // a form posting somewhere else
  'redirect_target_changed', // the provider redirect going to another origin
  'card_field_on_shop_page', // a card input on a page of the shop's own origin
  'security_header_changed', // critical only when the CSP or Integrity-Policy of a payment page is gone or loosened
  'audit_log_tampered', // the audit log edited in the database: whoever can do that can change payment settings too
  // Layer 2, this folder:
  'payment_code_changed',
  'file_added',
  'code_changed',
  'manifest_failure',
  'settings_tampered',
];

/**
 * Critical alerts from unauthenticated requests: anyone can post a test card number to the shop or
 * forge a CSP report. They suspend card payments only once they come from `distinctSources`
 * different sources within `windowMs` (see docs/integrity.md, "Auto-suspend rules").
 */
export const CORROBORATED_SUSPEND_KINDS: readonly string[] = ['pan_tripwire', 'csp_violation_payment_path'];

export const SUSPEND_ACTOR = 'system:integrity';

export interface AlertResponseOptions {
  alerts: { onAlert(listener: AlertListener): void };
  killSwitch: {
    set(state: CardPaymentState, actor: string, reason: string): Promise<{ changed: boolean }>;
    isSuspended(): Promise<boolean>;
  };
  db: Db;
  /** Security contacts: active staff with role owner or security (see `securityContacts`). */
  mailTo: () => Promise<string[]>;
  /** ALERT_WEBHOOK_URL: Slack-compatible incoming webhook. A secret: never logged. */
  webhookUrl?: string | null;
  logger?: IntegrityLogger;
  /** The admin security page, linked from mails and webhook posts. */
  adminUrl?: string | null;
  shopName?: string;
  corroboration?: { distinctSources?: number; windowMs?: number };
  webhook?: { timeoutMs?: number; attempts?: number; backoffMs?: number };
  /** More kinds that suspend at once (for example a future `audit_log_tampered`). */
  extraSuspendKinds?: string[];
  /**
   * New alerts of one kind mailed and posted per hour (default 20). Alerts from unauthenticated
   * requests (tripwire, CSP reports) can be made up in any number; beyond this they are still stored,
   * shown in the admin and acted on, but not mailed one by one.
   */
  fanoutPerKindPerHour?: number;
}

export interface AlertResponse {
  /** Resolves when every webhook post started so far has finished (tests, shutdown). */
  flush(): Promise<void>;
}

export async function securityContacts(db: Db): Promise<string[]> {
  const rows = await integrityDb(db).selectFrom('staff').select('email').where('status', '=', 'active').where('role', 'in', ['owner', 'security']).orderBy('email').execute();
  return [...new Set(rows.map((r) => r.email))];
}

function parseEvidence(alert: AlertTable): Record<string, unknown> {
  if (!alert.evidence) return {};
  try {
    const v = JSON.parse(alert.evidence) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Who sent an unauthenticated signal: a source key if the raiser gives one, else its IP hash. */
export function sourceOf(alert: AlertTable): string {
  const e = parseEvidence(alert);
  for (const k of ['sourceKey', 'ipPrefixHash', 'ipHash']) {
    const v = e[k];
    if (typeof v === 'string' && v) return v.slice(0, 200);
  }
  return 'unknown';
}

export function installAlertResponse(opts: AlertResponseOptions): AlertResponse {
  const log = opts.logger ?? silentLogger;
  const immediate = new Set([...IMMEDIATE_SUSPEND_KINDS, ...(opts.extraSuspendKinds ?? [])]);
  const corroborated = new Set(CORROBORATED_SUSPEND_KINDS);
  const needed = Math.max(1, opts.corroboration?.distinctSources ?? 3);
  const windowMs = opts.corroboration?.windowMs ?? 15 * 60_000;
  const pending = new Set<Promise<void>>();
  const limiter = new RateLimiter(opts.db);
  const fanoutLimit = Math.max(1, opts.fanoutPerKindPerHour ?? 20);

  const suspend = async (alert: AlertTable, checkFirst: boolean): Promise<boolean> => {
    if (checkFirst && (await opts.killSwitch.isSuspended())) return false;
    const r = await opts.killSwitch.set('suspended', SUSPEND_ACTOR, `${alert.kind}: ${alert.message}`);
    if (r.changed) log.warn({ alertId: alert.id, kind: alert.kind }, 'card payments suspended automatically by an integrity alert');
    return r.changed;
  };

  /** Counts this alert's source; true once enough distinct sources were seen within the window. */
  const corroborate = async (alert: AlertTable): Promise<{ sources: number; enough: boolean }> => {
    const source = sourceOf(alert);
    const now = nowIso();
    const idb = integrityDb(opts.db);
    await idb
      .insertInto('integrity_alert_sources')
      .values({ kind: alert.kind, source, first_seen_at: now, last_seen_at: now, count: 1 })
      .onConflict((oc) => oc.columns(['kind', 'source']).doUpdateSet({ last_seen_at: now, count: sql`integrity_alert_sources.count + 1` }))
      .execute();
    const since = nowIso(new Date(Date.now() - windowMs));
    const row = await idb
      .selectFrom('integrity_alert_sources')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('kind', '=', alert.kind)
      .where('last_seen_at', '>=', since)
      .executeTakeFirst();
    const sources = Number(row?.n ?? 0);
    return { sources, enough: sources >= needed };
  };

  const listener: AlertListener = async (alert, isNew) => {
    // 1. The automatic response. For an immediate kind the kill switch is called in this very
    //    tick, before anything else is awaited.
    let suspension: Promise<boolean> | null = null;
    let note: string | null = null;
    if (alert.severity === 'critical' && immediate.has(alert.kind)) {
      suspension = suspend(alert, !isNew);
    } else if (alert.severity === 'critical' && corroborated.has(alert.kind)) {
      suspension = corroborate(alert).then(async ({ sources, enough }) => {
        note = enough ? null : `カード決済の自動停止: まだ行っていません — 送信元 ${sources}/${needed}（${Math.round(windowMs / 60_000)}分以内に${needed}か所から届くと自動停止）`;
        return enough ? suspend(alert, true) : false;
      });
    }
    let suspended = false;
    if (suspension) {
      try {
        suspended = await suspension;
      } catch (err) {
        log.error({ err, alertId: alert.id, kind: alert.kind }, 'could not suspend card payments for an integrity alert');
      }
    }
    if (!isNew) return;

    // Bounded per kind: a flood of made-up alerts must not become a flood of mail.
    let fanout = { allowed: true, count: 1 };
    try {
      fanout = await limiter.hit(`alert-fanout:${alert.kind}`, fanoutLimit, 3600);
    } catch (err) {
      log.error({ err }, 'alert fan-out limiter failed; sending anyway');
    }
    const lastOne = fanout.count === fanoutLimit;
    if (!fanout.allowed) {
      log.warn({ alertId: alert.id, kind: alert.kind }, 'alert not mailed: too many new alerts of this kind this hour');
      return;
    }
    if (lastOne) note = `${note ? `${note}\n` : ''}この種類のアラートが1時間に${fanoutLimit}件に達しました。同じ種類の新しいアラートは、この1時間はメールとWebhookで個別に通知しません（管理画面には表示されます）。`;

    // 2. Mail to every security contact, once per alert (the outbox dedupes on the key).
    try {
      const to = await opts.mailTo();
      if (to.length === 0) log.warn({ alertId: alert.id }, 'no security contact to mail the alert to (active owner or security staff)');
      for (const address of to) {
        await enqueueMail(opts.db, {
          dedupeKey: `alert:${alert.id}:${address.toLowerCase()}`,
          kind: 'security_alert',
          to: address,
          subject: `【${opts.shopName ?? 'Mamori'}】${alert.severity === 'critical' ? '重大な' : ''}セキュリティアラート: ${alert.kind}`,
          text: mailText(alert, suspended, note, opts.adminUrl ?? null),
        });
      }
    } catch (err) {
      log.error({ err, alertId: alert.id }, 'could not queue the alert mail');
    }

    // 3. The webhook, in the background: the raise never waits for another server.
    if (opts.webhookUrl) {
      const p = postWebhook(opts.webhookUrl, slackPayload(alert, suspended, opts.adminUrl ?? null, opts.shopName ?? 'Mamori'), opts.webhook ?? {})
        .catch((err: unknown) => log.error({ alertId: alert.id, error: err instanceof Error ? err.message : String(err) }, 'alert webhook failed'))
        .finally(() => pending.delete(p));
      pending.add(p);
    }
  };
  opts.alerts.onAlert(listener);

  return {
    async flush() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

const SEVERITY_JA = { critical: '重大', warning: '警告', info: '情報' } as const;

function mailText(alert: AlertTable, suspended: boolean, note: string | null, adminUrl: string | null): string {
  let evidence = '（なし）';
  if (alert.evidence) {
    try {
      evidence = JSON.stringify(JSON.parse(alert.evidence) as unknown, null, 2).slice(0, 4000);
    } catch {
      evidence = alert.evidence.slice(0, 4000);
    }
  }
  return [
    alert.message,
    '',
    `重要度: ${SEVERITY_JA[alert.severity]} (${alert.severity})`,
    `種類: ${alert.kind}`,
    `検知: ${alert.first_seen_at}`,
    suspended ? 'カード決済を自動的に停止しました。再開はセキュリティ担当者が理由を記入し、再検証のうえ行ってください。' : null,
    note,
    adminUrl ? `確認: ${adminUrl}` : null,
    '',
    '証跡:',
    evidence,
  ].filter((l): l is string => l !== null).join('\n');
}

export interface SlackPayload {
  text: string;
  attachments?: { color: string; title: string; text: string; fields: { title: string; value: string; short: boolean }[]; footer: string; ts: number }[];
}

export function slackPayload(alert: AlertTable, suspended: boolean, adminUrl: string | null, shopName: string): SlackPayload {
  const color = alert.severity === 'critical' ? 'danger' : alert.severity === 'warning' ? 'warning' : 'good';
  const fields = [
    { title: 'Severity', value: alert.severity, short: true },
    { title: 'Kind', value: alert.kind, short: true },
    { title: 'First seen', value: alert.first_seen_at, short: true },
    { title: 'Card payments', value: suspended ? 'suspended automatically' : 'unchanged', short: true },
  ];
  if (alert.evidence) fields.push({ title: 'Evidence', value: '```' + alert.evidence.slice(0, 1500) + '```', short: false });
  return {
    text: `[${shopName}] ${alert.severity.toUpperCase()} ${alert.kind}: ${alert.message}${suspended ? ' — card payments suspended' : ''}`.slice(0, 3000),
    attachments: [{ color, title: alert.kind, text: `${alert.message}${adminUrl ? `\n${adminUrl}` : ''}`, fields, footer: 'Mamori integrity', ts: Math.floor(Date.parse(alert.first_seen_at) / 1000) }],
  };
}

/** POSTs JSON with a timeout, retrying network errors, 429 and 5xx with a growing delay. */
export async function postWebhook(url: string, payload: SlackPayload, opts: { timeoutMs?: number; attempts?: number; backoffMs?: number } = {}): Promise<void> {
  const attempts = Math.max(1, opts.attempts ?? 3);
  let last = 'no attempt';
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, (opts.backoffMs ?? 1000) * 2 ** (i - 1)));
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
        redirect: 'error',
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
      if (res.status < 500 && res.status !== 429) break;
    } catch (err) {
      last = err instanceof Error ? err.name : 'error';
    }
  }
  throw new Error(`webhook not accepted after ${attempts} attempt(s): ${last}`);
}
