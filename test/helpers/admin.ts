import { nowIso } from '../../src/db/index.js';
import type { Services } from '../../src/app/services.js';
import type { StaffRole } from '../../src/admin/tables.js';
import { newId } from '../../src/shared/ids.js';
import { ADMIN_COOKIE } from '../../src/admin/plugin.js';
import { Secret, TOTP } from 'otpauth';
import type { Client } from './browser-client.js';

/**
 * A staff member who has already enrolled 2FA, and a live session with the second factor passed —
 * for tests of admin pages that are not about logging in. Puts the admin cookie into the client.
 */
export async function signedInStaff(services: Services, client: Client, role: StaffRole, email = `${role}-${Date.now()}@example.jp`): Promise<{ staffId: string; token: string }> {
  const db = services.handle.db;
  const staffId = newId('stf');
  const now = nowIso();
  await db
    .insertInto('staff')
    .values({
      id: staffId, email, email_norm: email.toLowerCase(), name: `テスト${role}`, role, status: 'active', password_hash: 'x',
      totp_secret: 'JBSWY3DPEHPK3PXP', totp_enabled_at: now, recovery_codes: '[]', failed_attempts: 0, locked_until: null,
      setup_token_hash: null, setup_expires_at: null, created_at: now, updated_at: now,
    })
    .execute();
  const token = await services.staffSessions.create(staffId, '127.0.0.1', 'test');
  const { sha256Hex } = await import('../../src/shared/ids.js');
  await services.staffSessions.markMfaPassed(sha256Hex(token));
  client.setCookie(ADMIN_COOKIE, token);
  return { staffId, token };
}

/** The TOTP code of a secret at a 30-second time step. */
export function codeAt(secret: string, step: number): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: step * 30_000 + 1000 });
}

const usedSteps = new Map<string, number>();

/**
 * A current TOTP code as an authenticator app shows it, never the same time step twice per secret
 * (the shop refuses a replayed step). The shop accepts one step either side; the step before is only
 * used well before it expires.
 */
export async function freshCode(secret: string): Promise<string> {
  for (;;) {
    const now = Date.now();
    const cur = Math.floor(now / 30_000);
    const lowest = now % 30_000 < 25_000 ? cur - 1 : cur;
    const step = Math.max(lowest, (usedSteps.get(secret) ?? -Infinity) + 1);
    if (step <= cur + 1) {
      usedSteps.set(secret, step);
      return codeAt(secret, step);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
