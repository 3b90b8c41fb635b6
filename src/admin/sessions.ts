import type { Db } from '../db/index.js';
import { nowIso } from '../db/index.js';
import { newToken, sha256Hex } from '../shared/ids.js';
import type { StaffRole } from './tables.js';

export interface StaffIdentity {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  /** True once the second factor was passed in this session. */
  mfaPassed: boolean;
  /** True once the account has TOTP enrolled. */
  mfaEnrolled: boolean;
  sessionHash: string;
}

/** Admin sessions: their own table and cookie, short idle timeout, nothing shared with buyers. */
export class StaffSessions {
  constructor(
    private readonly db: Db,
    private readonly idleMinutes: number,
  ) {}

  async create(staffId: string, ip: string, userAgent: string): Promise<string> {
    const token = newToken();
    const now = new Date();
    await this.db
      .insertInto('staff_sessions')
      .values({
        token_hash: sha256Hex(token), staff_id: staffId, mfa_passed: 0, ip, user_agent: userAgent.slice(0, 300),
        created_at: nowIso(now), last_seen_at: nowIso(now), expires_at: nowIso(new Date(now.getTime() + 12 * 3600_000)),
      })
      .execute();
    return token;
  }

  /** The staff member behind a cookie token, if the session is live (not idle, not expired, account active). */
  async identify(token: string): Promise<StaffIdentity | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const hash = sha256Hex(token);
    const row = await this.db
      .selectFrom('staff_sessions as s')
      .innerJoin('staff as st', 'st.id', 's.staff_id')
      .select(['s.staff_id', 's.mfa_passed', 's.last_seen_at', 's.expires_at', 'st.email', 'st.name', 'st.role', 'st.status', 'st.totp_enabled_at'])
      .where('s.token_hash', '=', hash)
      .executeTakeFirst();
    if (!row || row.status !== 'active') return null;
    const now = Date.now();
    if (Date.parse(row.expires_at) < now || Date.parse(row.last_seen_at) < now - this.idleMinutes * 60_000) {
      await this.db.deleteFrom('staff_sessions').where('token_hash', '=', hash).execute();
      return null;
    }
    if (Date.parse(row.last_seen_at) < now - 30_000) {
      await this.db.updateTable('staff_sessions').set({ last_seen_at: nowIso() }).where('token_hash', '=', hash).execute();
    }
    return {
      id: row.staff_id, email: row.email, name: row.name, role: row.role, mfaPassed: row.mfa_passed === 1,
      mfaEnrolled: row.totp_enabled_at !== null, sessionHash: hash,
    };
  }

  async markMfaPassed(sessionHash: string): Promise<void> {
    await this.db.updateTable('staff_sessions').set({ mfa_passed: 1, last_seen_at: nowIso() }).where('token_hash', '=', sessionHash).execute();
  }

  async end(sessionHash: string): Promise<void> {
    await this.db.deleteFrom('staff_sessions').where('token_hash', '=', sessionHash).execute();
  }

  async endAllFor(staffId: string): Promise<void> {
    await this.db.deleteFrom('staff_sessions').where('staff_id', '=', staffId).execute();
  }
}
