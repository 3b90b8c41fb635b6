import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { RaiseAlert } from '../alerts/service.js';
import type { Config } from '../app/config.js';
import type { Db, DbOrTx } from '../db/index.js';
import { nowIso } from '../db/index.js';
import { newId } from '../shared/ids.js';
import { silentLogger, type IntegrityLogger } from './logger.js';
import { canonicalJson } from './manifest.js';
import { integrityDb, type IntegrityFingerprintTable } from './tables.js';

/**
 * The settings fingerprint: SHA-256 over what decides where money and card data go. Stored after
 * every audited change; checked every few seconds. A difference that no audited change explains
 * means someone wrote the database (or the environment) directly: a critical `settings_tampered`.
 *
 * Components (each its own SHA-256, so an alert can say which part changed without saying what):
 * - provider: payment provider name, its origin, and HMACs of its keys (never the keys);
 * - payments: the `payments` settings section (which methods are offered);
 * - bank: the `bank` settings section (the account bank-transfer money is paid into);
 * - admin: the admin path and IP allow-list;
 * - staff: every staff row's id, e-mail, role and status.
 */
export type FingerprintComponent = 'provider' | 'payments' | 'bank' | 'admin' | 'staff';
export type FingerprintComponents = Record<FingerprintComponent, string>;

/** What this process knows from its configuration (read once at start). */
export interface FingerprintEnvironment {
  provider: { name: string; origin: string; keyHashes: string[] };
  admin: { path: string; allowCidrs: string[] };
  /** HMAC key for the stored rows, derived from the shop's secret (never stored). */
  macKey: string;
}

export function fingerprintEnvironment(config: Config, providerOrigin: string): FingerprintEnvironment {
  const macKey = createHmac('sha256', config.secrets.cookieSecret).update('mamori:integrity:settings-fingerprint:v1').digest('base64url');
  const keyHash = (k: string) => createHmac('sha256', macKey).update(`key:${k}`).digest('hex');
  const keys = config.paymentProvider === 'stripe'
    ? [config.stripe?.secretKey ?? '', config.stripe?.webhookSecret ?? '']
    : [config.secrets.pspApiKey, config.secrets.pspWebhookSecret];
  return {
    provider: { name: config.paymentProvider, origin: providerOrigin, keyHashes: keys.map(keyHash) },
    admin: { path: config.admin.path, allowCidrs: [...config.admin.allowCidrs].sort() },
    macKey,
  };
}

let processEnvironment: FingerprintEnvironment | null = null;

/** Called once at start (createServices, and CLI commands that change staff or settings). */
export function setFingerprintEnvironment(env: FingerprintEnvironment): void {
  processEnvironment = env;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export async function computeFingerprint(db: DbOrTx, env: FingerprintEnvironment): Promise<{ fingerprint: string; components: FingerprintComponents }> {
  const idb = integrityDb(db);
  const settings = await idb.selectFrom('settings').select(['key', 'value']).where('key', 'in', ['payments', 'bank']).execute();
  const section = (key: string): unknown => {
    const row = settings.find((r) => r.key === key);
    if (!row) return null;
    try {
      return JSON.parse(row.value) as unknown;
    } catch {
      return { unparseable: sha256(row.value) };
    }
  };
  const staff = await idb.selectFrom('staff').select(['id', 'email', 'role', 'status']).orderBy('id').execute();
  const components: FingerprintComponents = {
    provider: sha256(canonicalJson(env.provider)),
    payments: sha256(canonicalJson(section('payments'))),
    bank: sha256(canonicalJson(section('bank'))),
    admin: sha256(canonicalJson(env.admin)),
    staff: sha256(canonicalJson(staff.map((s) => [s.id, s.email, s.role, s.status]))),
  };
  return { fingerprint: sha256(canonicalJson(components)), components };
}

function rowMac(key: string, r: Omit<IntegrityFingerprintTable, 'mac'>): string {
  return createHmac('sha256', key).update(canonicalJson([r.id, r.at, r.fingerprint, r.components, r.reason, r.source])).digest('hex');
}

function macValid(key: string, r: IntegrityFingerprintTable): boolean {
  const a = Buffer.from(rowMac(key, r));
  const b = Buffer.from(r.mac);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Records the fingerprint of the settings as they are now, as the expected state. The admin code
 * calls it after every audited change of staff, roles, payment or bank settings — inside the same
 * transaction when there is one (pass it), so a check never sees the change without its record.
 */
export async function recordAuditedFingerprint(
  db: DbOrTx,
  reason: string,
  opts: { source?: IntegrityFingerprintTable['source']; env?: FingerprintEnvironment } = {},
): Promise<IntegrityFingerprintTable> {
  const env = opts.env ?? processEnvironment;
  if (!env) throw new Error('recordAuditedFingerprint: setFingerprintEnvironment() was not called at start');
  const computed = await computeFingerprint(db, env);
  let { fingerprint, components } = computed;
  if ((opts.source ?? 'audited') === 'audited') {
    // An audited change is a database change (staff, payment or bank settings): it never restates the
    // environment parts. Those stay as last recorded, so a process started with other variables (a
    // CLI run without the server's PSP_PUBLIC_URL, say) does not make the running shop see tampering.
    const previous = (await latestRecords(db)).find((r) => macValid(env.macKey, r));
    if (previous) {
      const before = JSON.parse(previous.components) as Partial<FingerprintComponents>;
      components = { ...components, provider: before.provider ?? components.provider, admin: before.admin ?? components.admin };
      fingerprint = sha256(canonicalJson(components));
    }
  }
  const base = { id: newId('ifp'), at: nowIso(), fingerprint, components: canonicalJson(components), reason: reason.trim().slice(0, 300) || 'audited change', source: opts.source ?? 'audited' } as const;
  const row: IntegrityFingerprintTable = { ...base, mac: rowMac(env.macKey, base) };
  await integrityDb(db).insertInto('integrity_fingerprints').values(row).execute();
  return row;
}

export type FingerprintCheck =
  | { ok: true; fingerprint: string; baselined: boolean }
  | { ok: false; problem: 'changed' | 'forged_record' | 'records_deleted'; changed: FingerprintComponent[]; expected: string | null; actual: string };

export interface FingerprintMonitorOptions {
  db: Db;
  alerts: { raise(a: RaiseAlert): Promise<unknown> };
  env?: FingerprintEnvironment;
  /** Period of the check (default 2 s: the drills want an alert within 5 s). */
  intervalMs?: number;
  /** A difference is confirmed once more after this delay (default 500 ms): an audited change may be between its write and its record. */
  confirmDelayMs?: number;
  logger?: IntegrityLogger;
  /**
   * Asked before each scheduled check: false skips it. Several shop processes on one database pass a
   * lease (shared/leases.ts), so one of them checks and a process taking over waits for the lease.
   */
  gate?: () => Promise<boolean>;
}

async function latestRecords(db: DbOrTx): Promise<IntegrityFingerprintTable[]> {
  const idb = integrityDb(db);
  const latest = await idb.selectFrom('integrity_fingerprints').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (!latest) return [];
  // Two records in the same millisecond: either may be the latest.
  return idb.selectFrom('integrity_fingerprints').selectAll().where('at', '=', latest.at).execute();
}

export class SettingsFingerprintMonitor {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private seenRecords = false;
  private lastAlerted: string | null = null;
  private closed = false;
  private readonly env: FingerprintEnvironment;
  private readonly log: IntegrityLogger;

  constructor(private readonly opts: FingerprintMonitorOptions) {
    const env = opts.env ?? processEnvironment;
    if (!env) throw new Error('SettingsFingerprintMonitor: no fingerprint environment (setFingerprintEnvironment)');
    this.env = env;
    this.log = opts.logger ?? silentLogger;
  }

  /** Checks now (taking the first baseline if there is none) and then every interval. */
  async start(): Promise<FingerprintCheck | { ok: true; skipped: 'another process checks' }> {
    const gated = async (): Promise<FingerprintCheck | { ok: true; skipped: 'another process checks' }> =>
      !this.opts.gate || (await this.opts.gate()) ? this.check() : { ok: true, skipped: 'another process checks' };
    const first = await gated();
    const tick = () => {
      this.timer = setTimeout(() => {
        this.running = gated()
          .catch((err: unknown) => this.log.error({ err }, 'settings fingerprint check failed'))
          .finally(() => {
            if (!this.closed) tick();
          });
      }, this.opts.intervalMs ?? 2000);
      this.timer.unref();
    };
    tick();
    return first;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One check; raises the alert itself when something changed outside the audited path. */
  async check(): Promise<FingerprintCheck> {
    let result = await this.compare();
    if (!result.ok && result.problem === 'changed') {
      await new Promise((r) => setTimeout(r, this.opts.confirmDelayMs ?? 500));
      result = await this.compare();
    }
    if (result.ok) {
      this.lastAlerted = null;
      return result;
    }
    const alertKey = `${result.problem}:${result.actual}`;
    if (this.lastAlerted !== alertKey) {
      this.lastAlerted = alertKey;
      const what = result.changed.length ? `（${result.changed.join(', ')}）` : '';
      const message = {
        changed: `決済先・管理権限に関わる設定が、監査された操作を経ずに変更されました${what}。データベースまたは環境変数が直接書き換えられた可能性があります。`,
        forged_record: '設定の指紋の記録が正しい署名を持っていません。データベースが直接書き換えられた可能性があります。',
        records_deleted: '設定の指紋の記録が削除されました。データベースが直接書き換えられた可能性があります。',
      }[result.problem];
      this.log.warn({ problem: result.problem, changed: result.changed }, 'settings fingerprint: change outside the audited path');
      await this.opts.alerts.raise({
        severity: 'critical',
        kind: 'settings_tampered',
        dedupeKey: `settings_tampered:${result.problem}:${result.actual}`,
        message,
        evidence: { problem: result.problem, changed: result.changed, expected: result.expected, actual: result.actual },
      });
    }
    return result;
  }

  private async compare(): Promise<FingerprintCheck> {
    const db = this.opts.db;
    const records = await latestRecords(db);
    const current = await computeFingerprint(db, this.env);
    if (records.length === 0) {
      if (this.seenRecords) return { ok: false, problem: 'records_deleted', changed: [], expected: null, actual: current.fingerprint };
      // First start with this feature: today's settings are the baseline.
      await recordAuditedFingerprint(db, 'first start: baseline', { source: 'baseline', env: this.env });
      this.seenRecords = true;
      const staff = await integrityDb(db).selectFrom('staff').select('id').limit(1).execute();
      if (staff.length > 0) {
        await this.opts.alerts.raise({
          severity: 'warning',
          kind: 'settings_fingerprint_baselined',
          message: '設定の指紋の記録がなかったため、現在の設定（スタッフ一覧・決済設定）を基準として記録しました。スタッフ一覧と決済設定が正しいか確認してください。',
          evidence: { fingerprint: current.fingerprint },
        });
      }
      return { ok: true, fingerprint: current.fingerprint, baselined: true };
    }
    this.seenRecords = true;
    const valid = records.filter((r) => macValid(this.env.macKey, r));
    if (valid.length === 0) return { ok: false, problem: 'forged_record', changed: [], expected: records[0]!.fingerprint, actual: current.fingerprint };
    if (valid.some((r) => r.fingerprint === current.fingerprint)) return { ok: true, fingerprint: current.fingerprint, baselined: false };
    const expected = valid[0]!;
    let stored: Partial<FingerprintComponents> = {};
    try {
      stored = JSON.parse(expected.components) as Partial<FingerprintComponents>;
    } catch {
      stored = {};
    }
    const changed = (Object.keys(current.components) as FingerprintComponent[]).filter((k) => stored[k] !== current.components[k]);
    return { ok: false, problem: 'changed', changed, expected: expected.fingerprint, actual: current.fingerprint };
  }
}
