import { Algorithm, hash, verify } from '@node-rs/argon2';
import { sql } from 'kysely';
import type { AlertService } from '../alerts/service.js';
import type { Config } from '../app/config.js';
import type { DbHandle, DbOrTx } from '../db/index.js';
import { isUniqueViolation, nowIso } from '../db/index.js';
import { enqueueMail } from '../notify/outbox.js';
import type { SettingsService } from '../settings/service.js';
import { newId, newToken, sha256Hex } from '../shared/ids.js';
import { normalise } from '../shared/jp.js';
import { formatInstantJa } from '../shared/time.js';
import { isWeakPassword } from '../shared/validation.js';
import type { AuditLog } from './audit.js';
import { ROLE_LABELS } from './layout.js';
import type { StaffSessions } from './sessions.js';
import type { StaffRole, StaffTable } from './tables.js';
import { classifyCode, hashRecoveryCode, newRecoveryCodes, newTotpSecret, totpStep, TOTP_PARAMS, TOTP_WINDOW } from './totp.js';

// The same Argon2id parameters as customer passwords (OWASP: 19 MiB, 2 iterations, 1 lane).
const ARGON2 = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 };

export const STAFF_PASSWORD_MIN = 12;
export const LOCK_MINUTES = 30;
export const SETUP_LINK_TTL_MS = 24 * 3600_000;
export const STAFF_ROLES: readonly StaffRole[] = ['owner', 'staff', 'security'];
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/** Who made a request: recorded with every login attempt. */
export interface ClientInfo {
  ip: string;
  userAgent: string;
}

export type StaffDeps = {
  config: Config;
  handle: DbHandle;
  audit: AuditLog;
  alerts: AlertService;
  settings: SettingsService;
  staffSessions: StaffSessions;
};

export type SecondFactorResult =
  | { ok: true; method: 'totp' | 'recovery'; recoveryLeft: number | null }
  | { ok: false; reason: 'bad' | 'replay' | 'malformed' | 'locked' };

export interface StaffListRow {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  status: StaffTable['status'];
  mfaEnrolled: boolean;
  lockedUntil: string | null;
  lastLoginAt: string | null;
  createdAt: string;
}

/** The actor string of a staff member in the audit log and the kill-switch log. */
export const staffActor = (email: string) => `staff:${email}`;

/**
 * Why a staff password is not acceptable, or null. At least 12 characters, not a common or trivial
 * password, and not containing the local part of the e-mail address.
 */
export function staffPasswordProblem(password: string, email: string): string | null {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001F\u007F\uFFFD\u202A-\u202E\u2066-\u2069]/.test(password)) return '使用できない文字が含まれています。';
  if ([...password].length < STAFF_PASSWORD_MIN) return `パスワードは${STAFF_PASSWORD_MIN}文字以上にしてください。`;
  if (password.length > 128) return 'パスワードは128文字以内にしてください。';
  if (isWeakPassword(password)) return 'よく使われるパスワードや単純な並びは使えません。';
  const local = normalise.email(email).split('@')[0] ?? '';
  if (local.length >= 3 && password.toLowerCase().includes(local)) return 'メールアドレスの一部を含むパスワードは使えません。';
  return null;
}

/**
 * Staff accounts: invitation and one-time setup links, password and TOTP enrolment, the two login
 * steps with lock-out, recovery codes, and the owner's management actions. Every security-relevant
 * step is written to the audit log; the important ones are mailed to all owners.
 */
export class StaffService {
  private dummyHash: Promise<string> | null = null;

  constructor(private readonly deps: StaffDeps) {}

  private get db() {
    return this.deps.handle.db;
  }

  setupLink(token: string): string {
    return `${this.deps.config.publicUrl}${this.deps.config.admin.path}/setup?token=${token}`;
  }

  getById(id: string): Promise<StaffTable | undefined> {
    return this.db.selectFrom('staff').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findByEmail(email: string): Promise<StaffTable | undefined> {
    return this.db.selectFrom('staff').selectAll().where('email_norm', '=', normalise.email(email)).executeTakeFirst();
  }

  async list(): Promise<StaffListRow[]> {
    const rows = await this.db.selectFrom('staff').selectAll().orderBy('created_at').orderBy('id').execute();
    const last = await this.db
      .selectFrom('staff_logins')
      .select((eb) => ['staff_id', eb.fn.max('at').as('last')])
      .where((eb) => eb.or([eb('outcome', 'like', 'totp_ok:%'), eb('outcome', '=', 'recovery_used')]))
      .groupBy('staff_id')
      .execute();
    const lastBy = new Map(last.map((r) => [r.staff_id, r.last]));
    return rows.map((r) => ({
      id: r.id, email: r.email, name: r.name, role: r.role, status: r.status, mfaEnrolled: r.totp_enabled_at !== null,
      lockedUntil: r.locked_until && Date.parse(r.locked_until) > Date.now() ? r.locked_until : null,
      lastLoginAt: lastBy.get(r.id) ?? null, createdAt: r.created_at,
    }));
  }

  loginHistory(staffId: string, limit = 100) {
    return this.db.selectFrom('staff_logins').selectAll().where('staff_id', '=', staffId).orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  }

  // ---------------------------------------------------------------- invitation and setup

  /**
   * Creates a staff member with status `invited` and no password, and a one-time setup link
   * (24 hours). The invitee gets the link by mail when `mailInvitee`; all owners are told.
   */
  async invite(
    input: { email: string; name: string; role: StaffRole },
    actor: string,
    opts: { mailInvitee: boolean },
  ): Promise<{ ok: true; staffId: string; link: string } | { ok: false; reason: 'taken' }> {
    const id = newId('stf');
    const token = newToken();
    const now = new Date();
    const shop = (await this.deps.settings.get()).shop;
    const link = this.setupLink(token);
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('staff')
          .values({
            id, email: input.email, email_norm: normalise.email(input.email), name: input.name, role: input.role, status: 'invited',
            password_hash: '', totp_secret: null, totp_enabled_at: null, recovery_codes: '[]', failed_attempts: 0, locked_until: null,
            setup_token_hash: sha256Hex(token), setup_expires_at: nowIso(new Date(now.getTime() + SETUP_LINK_TTL_MS)),
            created_at: nowIso(now), updated_at: nowIso(now),
          })
          .execute();
        const entry = await this.deps.audit.append({ actor, action: 'staff.create', target: id, detail: { email: input.email, role: input.role } }, trx);
        if (opts.mailInvitee) {
          await enqueueMail(trx, {
            dedupeKey: `staff-invite:${sha256Hex(token)}`, kind: 'staff_invite', to: input.email,
            subject: `【${shop.name}】管理画面への招待`,
            text: [
              `${input.name} 様`, '',
              `${shop.name} の管理画面に${ROLE_LABELS[input.role]}として招待されました。`,
              '次のリンクを開いて、パスワードと2要素認証（認証アプリ）を設定してください。',
              '（24時間有効・1回限り）', '', link, '',
              '心当たりがない場合は、このメールを破棄してください。',
            ].join('\n'),
          });
        }
        await this.notifyOwners(trx, entry.id, `【${shop.name}】スタッフが追加されました`, [
          `${formatInstantJa(nowIso(now))} に、管理画面のスタッフが追加されました。`, '',
          `スタッフ: ${input.name} <${input.email}>`, `権限: ${ROLE_LABELS[input.role]}`, `操作: ${actor}`,
        ]);
      });
    } catch (err) {
      if (isUniqueViolation(err)) return { ok: false, reason: 'taken' };
      throw err;
    }
    return { ok: true, staffId: id, link };
  }

  /** The invited staff member a setup link belongs to, if it is still usable. */
  async staffForSetupToken(token: string): Promise<StaffTable | null> {
    if (!TOKEN_RE.test(token)) return null;
    const row = await this.db
      .selectFrom('staff')
      .selectAll()
      .where('setup_token_hash', '=', sha256Hex(token))
      .where('setup_expires_at', '>', nowIso())
      .where('status', '=', 'invited')
      .executeTakeFirst();
    return row ?? null;
  }

  /**
   * First setup step: consumes the link (it works once), sets name and password. The account stays
   * `invited` — it cannot log in — until TOTP is enrolled in the setup session this returns.
   */
  async completePasswordStep(token: string, name: string, password: string, client: ClientInfo): Promise<{ staff: StaffTable; sessionToken: string } | null> {
    const staff = await this.staffForSetupToken(token);
    if (!staff) return null;
    const passwordHash = await hash(password, ARGON2);
    const now = nowIso();
    const res = await this.db
      .updateTable('staff')
      .set({ name, password_hash: passwordHash, totp_secret: null, totp_enabled_at: null, setup_token_hash: null, setup_expires_at: null, updated_at: now })
      .where('id', '=', staff.id)
      .where('setup_token_hash', '=', sha256Hex(token))
      .where('setup_expires_at', '>', now)
      .where('status', '=', 'invited')
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) return null;
    await this.deps.staffSessions.endAllFor(staff.id);
    const sessionToken = await this.deps.staffSessions.create(staff.id, client.ip, client.userAgent);
    await this.deps.audit.append({ actor: staffActor(staff.email), action: 'staff.setup_password', target: staff.id, detail: { ip: client.ip } });
    return { staff: { ...staff, name }, sessionToken };
  }

  /**
   * The invited staff member of a setup session (after the password step, before enrolment).
   * Ordinary sessions only ever identify active accounts; this is the one way an invited one is seen.
   */
  async setupSessionStaff(cookieToken: string | undefined): Promise<{ staff: StaffTable; sessionHash: string } | null> {
    if (!cookieToken || !TOKEN_RE.test(cookieToken)) return null;
    const sessionHash = sha256Hex(cookieToken);
    const row = await this.db
      .selectFrom('staff_sessions')
      .select(['staff_id', 'last_seen_at', 'expires_at'])
      .where('token_hash', '=', sessionHash)
      .executeTakeFirst();
    if (!row) return null;
    const now = Date.now();
    if (Date.parse(row.expires_at) < now || Date.parse(row.last_seen_at) < now - this.deps.config.admin.idleMinutes * 60_000) return null;
    const staff = await this.getById(row.staff_id);
    if (!staff || staff.status !== 'invited' || !staff.password_hash || staff.totp_enabled_at) return null;
    return { staff, sessionHash };
  }

  /** The pending TOTP secret of an enrolment, created on first use (stays the same on reload). */
  async pendingSecret(staffId: string): Promise<string> {
    const secret = newTotpSecret();
    await this.db
      .updateTable('staff')
      .set({ totp_secret: secret })
      .where('id', '=', staffId)
      .where('totp_secret', 'is', null)
      .where('totp_enabled_at', 'is', null)
      .execute();
    const row = await this.db.selectFrom('staff').select('totp_secret').where('id', '=', staffId).executeTakeFirstOrThrow();
    return row.totp_secret ?? secret;
  }

  /**
   * Second setup step: a current code from the app proves the enrolment. Returns the recovery codes
   * (shown once, stored as hashes) and the new session token with the second factor passed.
   */
  async confirmEnrolment(setup: { staff: StaffTable; sessionHash: string }, input: string, client: ClientInfo): Promise<{ codes: string[]; sessionToken: string } | null> {
    const { staff } = setup;
    const secret = (await this.getById(staff.id))?.totp_secret;
    const c = classifyCode(input);
    const step = secret && c?.kind === 'totp' ? totpStep(secret, c.code) : null;
    if (!secret || step === null) {
      await this.recordLogin(this.db, staff.id, client, 'enrol_bad');
      return null;
    }
    const { codes, hashes } = newRecoveryCodes();
    const now = nowIso();
    const res = await this.db
      .updateTable('staff')
      .set({ totp_enabled_at: now, recovery_codes: JSON.stringify(hashes), status: 'active', failed_attempts: 0, locked_until: null, updated_at: now })
      .where('id', '=', staff.id)
      .where('status', '=', 'invited')
      .where('totp_secret', '=', secret)
      .where('totp_enabled_at', 'is', null)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) return null;
    await this.recordLogin(this.db, staff.id, client, `enrol_ok:${step}`);
    // A fresh session token for the now fully authenticated session.
    await this.deps.staffSessions.end(setup.sessionHash);
    const sessionToken = await this.deps.staffSessions.create(staff.id, client.ip, client.userAgent);
    await this.deps.staffSessions.markMfaPassed(sha256Hex(sessionToken));
    await this.deps.audit.append({ actor: staffActor(staff.email), action: 'staff.2fa_enrolled', target: staff.id, detail: { ip: client.ip, recoveryCodes: codes.length } });
    return { codes, sessionToken };
  }

  // ---------------------------------------------------------------- login

  /**
   * The password step. The same answer (and the same Argon2 work) for an unknown address, an
   * inactive or locked account and a wrong password. Every attempt is recorded.
   */
  async passwordLogin(email: string, password: string, client: ClientInfo): Promise<{ ok: true; staff: StaffTable } | { ok: false }> {
    const staff = await this.findByEmail(email);
    if (!staff || staff.status !== 'active' || !staff.password_hash) {
      this.dummyHash ??= hash('mamori-dummy-staff-password', ARGON2);
      await verify(await this.dummyHash, password).catch(() => false);
      const outcome = staff ? `inactive:${staff.status}` : 'unknown_email';
      await this.recordLogin(this.db, staff?.id ?? null, client, outcome);
      await this.deps.audit.append({ actor: staff ? staffActor(staff.email) : 'anonymous', action: 'auth.login_failed', target: staff?.id ?? null, detail: { reason: outcome, ip: client.ip } });
      return { ok: false };
    }
    const good = await verify(staff.password_hash, password).catch(() => false);
    if (this.isLocked(staff)) {
      await this.recordLogin(this.db, staff.id, client, 'locked');
      await this.deps.audit.append({ actor: staffActor(staff.email), action: 'auth.login_failed', target: staff.id, detail: { reason: 'locked', ip: client.ip } });
      return { ok: false };
    }
    if (!good) {
      await this.fail(staff, client, 'password_bad');
      return { ok: false };
    }
    await this.recordLogin(this.db, staff.id, client, 'password_ok');
    return { ok: true, staff };
  }

  /** The second step: a TOTP code (never the same time step twice) or a single-use recovery code. */
  async secondFactor(staffId: string, input: string, client: ClientInfo): Promise<SecondFactorResult> {
    const staff = await this.getById(staffId);
    if (!staff || staff.status !== 'active' || !staff.totp_secret || !staff.totp_enabled_at) return { ok: false, reason: 'bad' };
    if (this.isLocked(staff)) {
      await this.recordLogin(this.db, staff.id, client, 'locked');
      return { ok: false, reason: 'locked' };
    }
    const c = classifyCode(input);
    if (!c) return { ok: false, reason: 'malformed' };
    if (c.kind === 'totp') {
      const step = totpStep(staff.totp_secret, c.code);
      if (step === null) return this.failSecond(staff, client, 'totp_bad', 'bad');
      if (step <= (await this.lastTotpStep(staff))) return this.failSecond(staff, client, 'totp_replay', 'replay');
      await this.recordLogin(this.db, staff.id, client, `totp_ok:${step}`);
      await this.loginSucceeded(staff, client, 'totp', null);
      return { ok: true, method: 'totp', recoveryLeft: null };
    }
    const hashes = parseHashes(staff.recovery_codes);
    const h = hashRecoveryCode(c.code);
    if (!hashes.includes(h)) return this.failSecond(staff, client, 'recovery_bad', 'bad');
    const left = hashes.filter((x) => x !== h);
    // Compare-and-set on the stored list, so one code cannot be spent twice by concurrent requests.
    const res = await this.db
      .updateTable('staff')
      .set({ recovery_codes: JSON.stringify(left), updated_at: nowIso() })
      .where('id', '=', staff.id)
      .where('recovery_codes', '=', staff.recovery_codes)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) return this.failSecond(staff, client, 'recovery_bad', 'bad');
    await this.recordLogin(this.db, staff.id, client, 'recovery_used');
    await this.loginSucceeded(staff, client, 'recovery', left.length);
    return { ok: true, method: 'recovery', recoveryLeft: left.length };
  }

  /**
   * Re-verification for a sensitive action (resuming card payments): a current TOTP code, under the
   * same replay rule and the same failure counting as login.
   */
  async reverify(staffId: string, input: string, client: ClientInfo): Promise<'ok' | 'bad' | 'locked'> {
    const staff = await this.getById(staffId);
    if (!staff || staff.status !== 'active' || !staff.totp_secret) return 'bad';
    if (this.isLocked(staff)) return 'locked';
    const c = classifyCode(input);
    const step = c?.kind === 'totp' ? totpStep(staff.totp_secret, c.code) : null;
    if (step === null || step <= (await this.lastTotpStep(staff))) {
      const locked = await this.fail(staff, client, 'reverify_bad');
      return locked ? 'locked' : 'bad';
    }
    await this.recordLogin(this.db, staff.id, client, `reverify_ok:${step}`);
    return 'ok';
  }

  private isLocked(staff: StaffTable): boolean {
    return staff.locked_until !== null && Date.parse(staff.locked_until) > Date.now();
  }

  /**
   * The newest time step accepted for this staff member's current authenticator (login, enrolment
   * or re-verification); steps of an authenticator replaced by a 2FA reset do not count.
   */
  private async lastTotpStep(staff: StaffTable): Promise<number> {
    const recent = nowIso(new Date(Date.now() - (TOTP_WINDOW * 2 + 2) * TOTP_PARAMS.period * 1000));
    const since = staff.totp_enabled_at && staff.totp_enabled_at > recent ? staff.totp_enabled_at : recent;
    const rows = await this.db
      .selectFrom('staff_logins')
      .select('outcome')
      .where('staff_id', '=', staff.id)
      .where('at', '>=', since)
      .where((eb) => eb.or([eb('outcome', 'like', 'totp_ok:%'), eb('outcome', 'like', 'enrol_ok:%'), eb('outcome', 'like', 'reverify_ok:%')]))
      .execute();
    let max = -1;
    for (const r of rows) {
      const n = Number(r.outcome.slice(r.outcome.indexOf(':') + 1));
      if (Number.isSafeInteger(n) && n > max) max = n;
    }
    return max;
  }

  private async failSecond(staff: StaffTable, client: ClientInfo, outcome: string, reason: 'bad' | 'replay'): Promise<SecondFactorResult> {
    const locked = await this.fail(staff, client, outcome);
    return { ok: false, reason: locked ? 'locked' : reason };
  }

  private async loginSucceeded(staff: StaffTable, client: ClientInfo, method: 'totp' | 'recovery', recoveryLeft: number | null): Promise<void> {
    await this.db.updateTable('staff').set({ failed_attempts: 0, locked_until: null }).where('id', '=', staff.id).execute();
    const entry = await this.deps.audit.append({
      actor: staffActor(staff.email), action: 'auth.login', target: staff.id,
      detail: { ip: client.ip, userAgent: client.userAgent.slice(0, 200), method, ...(recoveryLeft === null ? {} : { recoveryCodesLeft: recoveryLeft }) },
    });
    if (method === 'recovery') {
      const shop = (await this.deps.settings.get()).shop;
      await enqueueMail(this.db, {
        dedupeKey: `staff-recovery:${entry.id}`, kind: 'staff_recovery_used', to: staff.email,
        subject: `【${shop.name}】リカバリーコードでログインしました`,
        text: [
          `${staff.name} 様`, '',
          `${formatInstantJa(nowIso())} に、リカバリーコードを使って管理画面にログインしました（IPアドレス: ${client.ip}）。`,
          `残りのリカバリーコード: ${recoveryLeft ?? 0} 個`, '',
          '認証アプリを失くした場合は、オーナーに2要素認証のリセットを依頼してください。',
          'ご自身のログインでない場合は、ただちにオーナーへ連絡してください。',
        ].join('\n'),
      });
    }
  }

  /**
   * Counts a failed attempt (password, TOTP, recovery code or re-verification). At the limit the
   * account is locked for 30 minutes, its sessions end, and the account, all owners, the audit log
   * and the security alerts are told. Returns true when the account is (now) locked.
   */
  private async fail(staff: StaffTable, client: ClientInfo, outcome: string): Promise<boolean> {
    await this.recordLogin(this.db, staff.id, client, outcome);
    await this.deps.audit.append({ actor: staffActor(staff.email), action: 'auth.login_failed', target: staff.id, detail: { reason: outcome, ip: client.ip } });
    const row = await this.db
      .updateTable('staff')
      .set({ failed_attempts: sql<number>`failed_attempts + 1` })
      .where('id', '=', staff.id)
      .returning('failed_attempts')
      .executeTakeFirst();
    const max = this.deps.config.admin.maxFailedLogins;
    if (!row || row.failed_attempts < max) return false;
    const now = new Date();
    const until = nowIso(new Date(now.getTime() + LOCK_MINUTES * 60_000));
    const res = await this.db
      .updateTable('staff')
      .set({ locked_until: until, failed_attempts: 0, updated_at: nowIso(now) })
      .where('id', '=', staff.id)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', nowIso(now))]))
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) return true;
    await this.onLockout(staff, client, until, row.failed_attempts);
    return true;
  }

  private async onLockout(staff: StaffTable, client: ClientInfo, until: string, attempts: number): Promise<void> {
    const shop = (await this.deps.settings.get()).shop;
    const at = formatInstantJa(nowIso());
    await this.db.transaction().execute(async (trx) => {
      await this.recordLogin(trx, staff.id, client, 'lockout');
      const entry = await this.deps.audit.append({ actor: 'system', action: 'auth.lockout', target: staff.id, detail: { email: staff.email, attempts, until, ip: client.ip } }, trx);
      await enqueueMail(trx, {
        dedupeKey: `staff-lockout:${staff.id}:${until}`, kind: 'staff_lockout', to: staff.email,
        subject: `【${shop.name}】管理画面のアカウントをロックしました`,
        text: [
          `${staff.name} 様`, '',
          `${at} に、ログインの失敗が${attempts}回続いたため、管理画面のアカウントを${LOCK_MINUTES}分間ロックしました。`,
          `最後の試行のIPアドレス: ${client.ip}`, '',
          'ご自身の操作でない場合は、第三者がログインを試みている可能性があります。オーナーへ連絡し、パスワードを変更してください。',
        ].join('\n'),
      });
      await this.notifyOwners(trx, entry.id, `【${shop.name}】スタッフのアカウントがロックされました`, [
        `${at} に、ログインの失敗が${attempts}回続いたため、次のアカウントを${LOCK_MINUTES}分間ロックしました。`, '',
        `スタッフ: ${staff.name} <${staff.email}>`, `最後の試行のIPアドレス: ${client.ip}`,
        `ロック解除: ${formatInstantJa(until)}`, '',
        '心当たりがない場合は、管理画面の「セキュリティ」と「監査ログ」を確認してください。',
      ], { exclude: staff.email });
    });
    await this.deps.staffSessions.endAllFor(staff.id);
    await this.deps.alerts.raise({
      severity: 'warning', kind: 'admin_lockout', dedupeKey: `admin_lockout:${staff.id}`,
      message: `管理画面のアカウント ${staff.email} がログイン失敗の連続によりロックされました。`,
      evidence: { staffId: staff.id, ip: client.ip, attempts, lockedUntil: until },
    });
  }

  private async recordLogin(db: DbOrTx, staffId: string | null, client: ClientInfo, outcome: string): Promise<void> {
    await db
      .insertInto('staff_logins')
      .values({ id: newId('sli'), staff_id: staffId, at: nowIso(), ip: client.ip.slice(0, 100), user_agent: client.userAgent.slice(0, 300), outcome })
      .execute();
  }

  async logout(staff: { id: string; email: string }, sessionHash: string, client: ClientInfo): Promise<void> {
    await this.deps.staffSessions.end(sessionHash);
    await this.recordLogin(this.db, staff.id, client, 'logout');
    await this.deps.audit.append({ actor: staffActor(staff.email), action: 'auth.logout', target: staff.id, detail: { ip: client.ip } });
  }

  // ---------------------------------------------------------------- owner actions

  async activeOwnerCount(): Promise<number> {
    const r = await this.db.selectFrom('staff').select((eb) => eb.fn.countAll<number>().as('n')).where('role', '=', 'owner').where('status', '=', 'active').executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async changeRole(target: StaffTable, role: StaffRole, actor: string): Promise<boolean> {
    if (target.role === role) return false;
    const shop = (await this.deps.settings.get()).shop;
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('staff').set({ role, updated_at: nowIso() }).where('id', '=', target.id).execute();
      const entry = await this.deps.audit.append({ actor, action: 'staff.role_change', target: target.id, detail: { email: target.email, from: target.role, to: role } }, trx);
      await this.notifyOwners(trx, entry.id, `【${shop.name}】スタッフの権限が変更されました`, [
        `${formatInstantJa(nowIso())} に、管理画面のスタッフの権限が変更されました。`, '',
        `スタッフ: ${target.name} <${target.email}>`, `権限: ${ROLE_LABELS[target.role]} → ${ROLE_LABELS[role]}`, `操作: ${actor}`,
      ], { extra: target.email });
    });
    return true;
  }

  async setDisabled(target: StaffTable, disabled: boolean, actor: string): Promise<boolean> {
    if (disabled === (target.status === 'disabled')) return false;
    const shop = (await this.deps.settings.get()).shop;
    // Enabling returns to `active` only for a fully enrolled account; otherwise a new setup link is needed.
    const next = disabled ? 'disabled' : target.password_hash && target.totp_enabled_at ? 'active' : 'invited';
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('staff')
        .set({ status: next, updated_at: nowIso(), ...(disabled ? { setup_token_hash: null, setup_expires_at: null } : {}) })
        .where('id', '=', target.id)
        .execute();
      const entry = await this.deps.audit.append({ actor, action: disabled ? 'staff.disable' : 'staff.enable', target: target.id, detail: { email: target.email } }, trx);
      await this.notifyOwners(trx, entry.id, `【${shop.name}】スタッフを${disabled ? '無効' : '有効'}にしました`, [
        `${formatInstantJa(nowIso())} に、管理画面のスタッフを${disabled ? '無効' : '有効'}にしました。`, '',
        `スタッフ: ${target.name} <${target.email}>`, `操作: ${actor}`,
      ]);
    });
    if (disabled) await this.deps.staffSessions.endAllFor(target.id);
    return true;
  }

  /**
   * 2FA reset (or a new setup link for a pending invitation): the authenticator, the recovery codes
   * and the password are cleared, sessions end, and a new one-time setup link is issued. The staff
   * member sets a password and enrols TOTP again through it.
   */
  async resetSecondFactor(target: StaffTable, actor: string, opts: { mailStaff: boolean }): Promise<{ link: string; action: string }> {
    const token = newToken();
    const now = new Date();
    const link = this.setupLink(token);
    const shop = (await this.deps.settings.get()).shop;
    const action = target.status === 'invited' && !target.totp_enabled_at ? 'staff.setup_link_reissued' : 'staff.2fa_reset';
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('staff')
        .set({
          status: 'invited', password_hash: '', totp_secret: null, totp_enabled_at: null, recovery_codes: '[]', failed_attempts: 0, locked_until: null,
          setup_token_hash: sha256Hex(token), setup_expires_at: nowIso(new Date(now.getTime() + SETUP_LINK_TTL_MS)), updated_at: nowIso(now),
        })
        .where('id', '=', target.id)
        .execute();
      const entry = await this.deps.audit.append({ actor, action, target: target.id, detail: { email: target.email } }, trx);
      if (opts.mailStaff) {
        await enqueueMail(trx, {
          dedupeKey: `staff-setup:${sha256Hex(token)}`, kind: 'staff_2fa_reset', to: target.email,
          subject: `【${shop.name}】管理画面の再設定のご案内`,
          text: [
            `${target.name} 様`, '',
            action === 'staff.2fa_reset'
              ? `${shop.name} の管理画面で、あなたのアカウントの2要素認証がリセットされました。`
              : `${shop.name} の管理画面への招待リンクを再発行しました。`,
            '次のリンクを開いて、パスワードと2要素認証（認証アプリ）を設定してください。',
            '（24時間有効・1回限り）', '', link, '',
            '心当たりがない場合は、ただちにオーナーへ連絡してください。',
          ].join('\n'),
        });
      }
      await this.notifyOwners(trx, entry.id, `【${shop.name}】スタッフの2要素認証がリセットされました`, [
        `${formatInstantJa(nowIso(now))} に、${action === 'staff.2fa_reset' ? '管理画面のスタッフの2要素認証がリセットされました' : '管理画面への招待リンクが再発行されました'}。`,
        '', `スタッフ: ${target.name} <${target.email}>`, `操作: ${actor}`, '',
        '新しい設定リンクで再設定が済むまで、このアカウントではログインできません。',
      ], { extra: target.email });
    });
    await this.deps.staffSessions.endAllFor(target.id);
    return { link, action };
  }

  /**
   * Mails every active owner (and `extra`, e.g. the person concerned; not `exclude`) about an important
   * operation, in the caller's transaction: the notice is queued if and only if the change is made.
   */
  async notifyOwners(trx: DbOrTx, eventId: string, subject: string, lines: string[], opts: { extra?: string; exclude?: string } = {}): Promise<void> {
    const owners = await trx.selectFrom('staff').select(['id', 'email']).where('role', '=', 'owner').where('status', '=', 'active').execute();
    const to = new Set(owners.map((o) => o.email).filter((e) => e !== opts.exclude));
    if (opts.extra) to.add(opts.extra);
    const text = [...lines, '', 'この通知は、管理画面の重要な操作があったときにオーナー全員へ送られます。', '心当たりがない場合は、ただちに管理画面の「監査ログ」を確認してください。'].join('\n');
    for (const address of to) {
      await enqueueMail(trx, { dedupeKey: `staff-notice:${eventId}:${normalise.email(address)}`, kind: 'staff_notice', to: address, subject, text });
    }
  }
}

function parseHashes(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}
