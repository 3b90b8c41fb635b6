import { nowIso } from '../../src/db/index.js';
import type { Services } from '../../src/app/services.js';
import type { StaffRole } from '../../src/admin/tables.js';
import { newId } from '../../src/shared/ids.js';
import { ADMIN_COOKIE } from '../../src/admin/plugin.js';
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
