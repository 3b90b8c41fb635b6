import { Algorithm, hash, verify } from '@node-rs/argon2';
import type { Db } from '../db/index.js';
import { isUniqueViolation, nowIso } from '../db/index.js';
import type { Destination } from '../checkout/form.js';
import { enqueueMail } from '../notify/outbox.js';
import type { SettingsService } from '../settings/service.js';
import { newId, newToken, sha256Hex } from '../shared/ids.js';
import { customerIdentityColumns } from '../shared/identity.js';
import { isPrefecture, normalise } from '../shared/jp.js';
import { formatInstantJa } from '../shared/time.js';
import { customerMail } from './mails.js';
import type { SessionService } from './sessions.js';
import type { CustomerAddressTable, CustomerTable, CustomerTokenPurpose } from './tables.js';

// OWASP's recommended Argon2id parameters (19 MiB, 2 iterations, 1 lane).
const ARGON2 = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 };

export interface Profile {
  name: string;
  nameKana: string;
  postalCode: string;
  prefecture: string;
  address1: string;
  address2: string | null;
  phone: string;
  fax: string | null;
}

export type RegisterResult = { ok: true; customerId: string } | { ok: false; reason: 'email_taken' };
export type LoginResult = { ok: true; customer: CustomerTable } | { ok: false; reason: 'invalid' | 'unverified' };

const TOKEN_TTL_MS: Record<CustomerTokenPurpose, number> = {
  verify_email: 24 * 3600_000,
  reset_password: 3600_000,
  change_email: 24 * 3600_000,
};

/** Members: registration with e-mail verification, login, password reset, profile, addresses, withdrawal. */
export class CustomerService {
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly db: Db,
    private readonly sessions: SessionService,
    private readonly settings: SettingsService,
    private readonly publicUrl: string,
  ) {}

  async register(input: Profile & { email: string; password: string }): Promise<RegisterResult> {
    const id = newId('cus');
    const now = nowIso();
    const passwordHash = await hash(input.password, ARGON2);
    const token = newToken();
    const { shop, mail } = await this.settings.get();
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('customers')
          .values({
            id,
            email: input.email,
            email_norm: normalise.email(input.email),
            password_hash: passwordHash,
            name: input.name,
            name_kana: input.nameKana,
            postal_code: input.postalCode,
            prefecture: input.prefecture,
            address1: input.address1,
            address2: input.address2,
            phone: input.phone,
            fax: input.fax,
            status: 'unverified',
            email_verified_at: null,
            created_at: now,
            updated_at: now,
            withdrawn_at: null,
            ...customerIdentityColumns({ email: input.email, phone: input.phone, name: input.name, postal_code: input.postalCode }),
            source: 'shop',
            external_id: null,
          })
          .execute();
        await trx.insertInto('customer_tokens').values(tokenRow(token, id, 'verify_email', null)).execute();
        await enqueueMail(
          trx,
          customerMail('verify_email', `verify:${sha256Hex(token)}`, input.email, {
            name: input.name, shopName: shop.name, shopEmail: shop.email, link: `${this.publicUrl}/verify?token=${token}`,
          },
          mail.overrides),
        );
      });
    } catch (err) {
      if (isUniqueViolation(err)) return { ok: false, reason: 'email_taken' };
      throw err;
    }
    return { ok: true, customerId: id };
  }

  /** Consumes a one-time token; returns the customer id if valid. */
  private async consumeToken(token: string, purpose: CustomerTokenPurpose): Promise<{ customerId: string; newEmail: string | null } | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const tokenHash = sha256Hex(token);
    const now = nowIso();
    const res = await this.db
      .updateTable('customer_tokens')
      .set({ used_at: now })
      .where('token_hash', '=', tokenHash)
      .where('purpose', '=', purpose)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) return null;
    const row = await this.db.selectFrom('customer_tokens').select(['customer_id', 'new_email']).where('token_hash', '=', tokenHash).executeTakeFirstOrThrow();
    return { customerId: row.customer_id, newEmail: row.new_email };
  }

  async verifyEmail(token: string): Promise<boolean> {
    const t = await this.consumeToken(token, 'verify_email');
    if (!t) return false;
    await this.db
      .updateTable('customers')
      .set({ status: 'active', email_verified_at: nowIso() })
      .where('id', '=', t.customerId)
      .where('status', '=', 'unverified')
      .execute();
    return true;
  }

  async login(email: string, password: string): Promise<LoginResult> {
    const customer = await this.db.selectFrom('customers').selectAll().where('email_norm', '=', normalise.email(email)).executeTakeFirst();
    if (!customer || customer.status === 'withdrawn' || !customer.password_hash) {
      // Same work as a real check, so response time does not reveal which e-mails are members.
      this.dummyHash ??= hash('mamori-dummy-password', ARGON2);
      await verify(await this.dummyHash, password).catch(() => false);
      return { ok: false, reason: 'invalid' };
    }
    const good = await verify(customer.password_hash, password).catch(() => false);
    if (!good) return { ok: false, reason: 'invalid' };
    if (customer.status === 'unverified') return { ok: false, reason: 'unverified' };
    return { ok: true, customer };
  }

  getById(id: string): Promise<CustomerTable | undefined> {
    return this.db.selectFrom('customers').selectAll().where('id', '=', id).where('status', '=', 'active').executeTakeFirst();
  }

  /** Sends a reset link if the e-mail belongs to an active member; says nothing either way. */
  async requestPasswordReset(email: string): Promise<void> {
    const customer = await this.db.selectFrom('customers').selectAll().where('email_norm', '=', normalise.email(email)).where('status', '=', 'active').executeTakeFirst();
    if (!customer) return;
    const token = newToken();
    const { shop, mail } = await this.settings.get();
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('customer_tokens').values(tokenRow(token, customer.id, 'reset_password', null)).execute();
      await enqueueMail(
        trx,
        customerMail('reset_password', `reset:${sha256Hex(token)}`, customer.email, {
          name: customer.name, shopName: shop.name, shopEmail: shop.email, link: `${this.publicUrl}/password/reset?token=${token}`,
        },
          mail.overrides),
      );
    });
  }

  /** True if the reset token is currently usable (for showing the form). */
  async resetTokenValid(token: string): Promise<boolean> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return false;
    const row = await this.db
      .selectFrom('customer_tokens')
      .select('token_hash')
      .where('token_hash', '=', sha256Hex(token))
      .where('purpose', '=', 'reset_password')
      .where('used_at', 'is', null)
      .where('expires_at', '>', nowIso())
      .executeTakeFirst();
    return Boolean(row);
  }

  async resetPassword(token: string, password: string): Promise<boolean> {
    const t = await this.consumeToken(token, 'reset_password');
    if (!t) return false;
    await this.setPassword(t.customerId, password);
    // A reset also proves the mailbox: an unverified account becomes active.
    await this.db.updateTable('customers').set({ status: 'active', email_verified_at: nowIso() }).where('id', '=', t.customerId).where('status', '=', 'unverified').execute();
    await this.sessions.endAllFor(t.customerId);
    return true;
  }

  async changePassword(customerId: string, current: string, next: string): Promise<boolean> {
    const c = await this.getById(customerId);
    if (!c || !(await verify(c.password_hash, current).catch(() => false))) return false;
    await this.setPassword(customerId, next);
    return true;
  }

  private async setPassword(customerId: string, password: string): Promise<void> {
    const passwordHash = await hash(password, ARGON2);
    const now = nowIso();
    const { shop, mail } = await this.settings.get();
    await this.db.transaction().execute(async (trx) => {
      const c = await trx.selectFrom('customers').selectAll().where('id', '=', customerId).executeTakeFirstOrThrow();
      await trx.updateTable('customers').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', customerId).execute();
      await enqueueMail(
        trx,
        customerMail('password_changed', `password-changed:${customerId}:${now}`, c.email, {
          name: c.name, shopName: shop.name, shopEmail: shop.email, at: formatInstantJa(now),
        },
          mail.overrides),
      );
    });
  }

  async updateProfile(customerId: string, p: Profile): Promise<void> {
    const { email_key: _unchanged, ...keys } = customerIdentityColumns({ email: null, phone: p.phone, name: p.name, postal_code: p.postalCode });
    await this.db
      .updateTable('customers')
      .set({
        name: p.name, name_kana: p.nameKana, postal_code: p.postalCode, prefecture: p.prefecture,
        address1: p.address1, address2: p.address2, phone: p.phone, fax: p.fax, updated_at: nowIso(), ...keys,
      })
      .where('id', '=', customerId)
      .execute();
  }

  /** Starts an e-mail change: the new address must confirm; the change is mailed to the old one when done. */
  async requestEmailChange(customerId: string, newEmail: string, password: string): Promise<'sent' | 'bad_password' | 'taken'> {
    const c = await this.getById(customerId);
    if (!c || !(await verify(c.password_hash, password).catch(() => false))) return 'bad_password';
    const taken = await this.db.selectFrom('customers').select('id').where('email_norm', '=', normalise.email(newEmail)).executeTakeFirst();
    if (taken) return 'taken';
    const token = newToken();
    const { shop, mail } = await this.settings.get();
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('customer_tokens').values(tokenRow(token, customerId, 'change_email', newEmail)).execute();
      await enqueueMail(
        trx,
        customerMail('change_email', `change-email:${sha256Hex(token)}`, newEmail, {
          name: c.name, shopName: shop.name, shopEmail: shop.email, link: `${this.publicUrl}/account/email/confirm?token=${token}`,
        },
          mail.overrides),
      );
    });
    return 'sent';
  }

  async confirmEmailChange(token: string): Promise<'changed' | 'invalid' | 'taken'> {
    const t = await this.consumeToken(token, 'change_email');
    if (!t || !t.newEmail) return 'invalid';
    const c = await this.getById(t.customerId);
    if (!c) return 'invalid';
    const { shop, mail } = await this.settings.get();
    const now = nowIso();
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('customers')
          .set({ email: t.newEmail!, email_norm: normalise.email(t.newEmail!), email_key: customerIdentityColumns({ email: t.newEmail!, phone: '', name: '', postal_code: '' }).email_key, updated_at: now })
          .where('id', '=', c.id)
          .execute();
        await enqueueMail(
          trx,
          customerMail('email_changed', `email-changed:${c.id}:${now}`, c.email, {
            name: c.name, shopName: shop.name, shopEmail: shop.email, at: formatInstantJa(now), newEmail: t.newEmail!,
          },
          mail.overrides),
        );
      });
    } catch (err) {
      if (isUniqueViolation(err)) return 'taken';
      throw err;
    }
    return 'changed';
  }

  /** 退会: the account closes at once; order records stay for accounting (retention applies later). */
  async withdraw(customerId: string, password: string): Promise<boolean> {
    const c = await this.getById(customerId);
    if (!c || !(await verify(c.password_hash, password).catch(() => false))) return false;
    const { shop, mail } = await this.settings.get();
    const now = nowIso();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('customers')
        .set({ status: 'withdrawn', withdrawn_at: now, password_hash: '', email_norm: `withdrawn:${customerId}`, updated_at: now })
        .where('id', '=', customerId)
        .execute();
      await trx.deleteFrom('customer_addresses').where('customer_id', '=', customerId).execute();
      await enqueueMail(trx, customerMail('withdrawn', `withdrawn:${customerId}`, c.email, { name: c.name, shopName: shop.name, shopEmail: shop.email }, mail.overrides));
    });
    await this.sessions.endAllFor(customerId);
    return true;
  }

  listAddresses(customerId: string): Promise<CustomerAddressTable[]> {
    return this.db.selectFrom('customer_addresses').selectAll().where('customer_id', '=', customerId).orderBy('created_at').execute();
  }

  async addAddress(customerId: string, d: Destination): Promise<string> {
    const id = newId('adr');
    const now = nowIso();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('customer_addresses')
        .values({
          id, customer_id: customerId, name: d.name, name_kana: d.kana, postal_code: d.postalCode, prefecture: d.prefecture,
          address1: d.address1, address2: d.address2, phone: d.phone, created_at: now,
        })
        .execute();
      // Typing an address is a change of the member's data (incident scoping: "updated their data").
      await trx.updateTable('customers').set({ updated_at: now }).where('id', '=', customerId).execute();
    });
    return id;
  }

  async deleteAddress(customerId: string, addressId: string): Promise<boolean> {
    const res = await this.db.deleteFrom('customer_addresses').where('id', '=', addressId).where('customer_id', '=', customerId).executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  }

  /** A member's saved address, or null (another member's address is simply not found). */
  async getAddress(customerId: string, addressId: string): Promise<Destination | null> {
    const a = await this.db.selectFrom('customer_addresses').selectAll().where('id', '=', addressId).where('customer_id', '=', customerId).executeTakeFirst();
    if (!a || !isPrefecture(a.prefecture)) return null;
    return { name: a.name, kana: a.name_kana, postalCode: a.postal_code, prefecture: a.prefecture, address1: a.address1, address2: a.address2, phone: a.phone };
  }
}

function tokenRow(token: string, customerId: string, purpose: CustomerTokenPurpose, newEmail: string | null) {
  const now = Date.now();
  return {
    token_hash: sha256Hex(token),
    customer_id: customerId,
    purpose,
    new_email: newEmail,
    expires_at: nowIso(new Date(now + TOKEN_TTL_MS[purpose])),
    used_at: null,
    created_at: nowIso(new Date(now)),
  };
}
