import { normalise } from './jp.js';

/**
 * Identity keys: the normalised values the incident scoping compares (rules of
 * ../shared/docs/history-format.md: NFKC, then e-mail trimmed and lower-cased, phone and postal
 * code digits only, name without white space). Every write path — member registration and
 * profile changes, checkout, history import — stores them through THIS function, so that the
 * scoping compares like with like; issue 7 turns them into keyed blind indexes (HMAC) here.
 * A key is null when the value is absent or normalises to nothing.
 */
export interface IdentityKeys {
  email: string | null;
  phone: string | null;
  name: string | null;
  postal: string | null;
}

export interface IdentityInput {
  email?: string | null;
  phone?: string | null;
  name?: string | null;
  postalCode?: string | null;
}

function key(value: string | null | undefined, rule: (v: string) => string): string | null {
  if (value === null || value === undefined) return null;
  const k = rule(value);
  return k === '' ? null : k;
}

export function identityKeys(v: IdentityInput): IdentityKeys {
  return {
    email: key(v.email, normalise.email),
    phone: key(v.phone, normalise.phone),
    name: key(v.name, normalise.name),
    postal: key(v.postalCode, normalise.postalCode),
  };
}

/** The key columns of a `customers` row. */
export function customerIdentityColumns(c: { email: string | null; phone: string; name: string; postal_code: string }) {
  const k = identityKeys({ email: c.email, phone: c.phone, name: c.name, postalCode: c.postal_code });
  return { email_key: k.email, phone_key: k.phone, name_key: k.name, postal_key: k.postal };
}

/** The key columns of an `orders` row: the orderer's, and the shipping destination's (null when it ships to the orderer). */
export function orderIdentityColumns(o: {
  orderer_email: string | null; orderer_phone: string; orderer_name: string; orderer_postal_code: string;
  shipping_name: string | null; shipping_phone: string | null; shipping_postal_code: string | null;
}) {
  const a = identityKeys({ email: o.orderer_email, phone: o.orderer_phone, name: o.orderer_name, postalCode: o.orderer_postal_code });
  const s = identityKeys({ phone: o.shipping_phone, name: o.shipping_name, postalCode: o.shipping_postal_code });
  return {
    orderer_email_key: a.email, orderer_phone_key: a.phone, orderer_name_key: a.name, orderer_postal_key: a.postal,
    shipping_name_key: s.name, shipping_phone_key: s.phone, shipping_postal_key: s.postal,
  };
}

/**
 * The scoping keys an `orders` row stores (computed from its key columns, at write time, so that
 * scoping groups and counts on indexed columns instead of building keys for every order):
 * - `orderer_key`: who placed it when it is not a member's order — `e:` + e-mail key, or, without
 *   e-mail, `n:` + name key + `|` + phone key. A member order (customer id) is the member's, and a
 *   guest order whose e-mail key is a member's belongs to that member: both are resolved at scope
 *   time, since members register (or change e-mail) after guest orders.
 * - `recipient_key`: a shipping destination that is not the orderer (ships elsewhere, and its name
 *   key or phone key differs from the orderer's): `r:` + name key + `|` + phone key + `|` + postal
 *   key; else null.
 */
export function orderScopeKeys(o: {
  ship_to_orderer: number;
  orderer_email_key: string | null; orderer_phone_key: string | null; orderer_name_key: string | null;
  shipping_name_key: string | null; shipping_phone_key: string | null; shipping_postal_key: string | null;
}): { orderer_key: string; recipient_key: string | null } {
  const ordererKey = o.orderer_email_key !== null ? `e:${o.orderer_email_key}` : `n:${o.orderer_name_key ?? ''}|${o.orderer_phone_key ?? ''}`;
  const elsewhere = Number(o.ship_to_orderer) === 0 && o.shipping_name_key !== null
    && (o.shipping_name_key !== (o.orderer_name_key ?? '') || (o.shipping_phone_key ?? '') !== (o.orderer_phone_key ?? ''));
  return {
    orderer_key: ordererKey,
    recipient_key: elsewhere ? `r:${o.shipping_name_key}|${o.shipping_phone_key ?? ''}|${o.shipping_postal_key ?? ''}` : null,
  };
}

/**
 * The person key of a catalog requester (no member account, no order): by e-mail like a guest
 * (`e:`, so it resolves to the member with that e-mail at scope time); without e-mail, by name
 * and phone like a guest without e-mail (`n:`); without phone either, by name and postal code
 * (`p:`).
 */
export function requesterKey(r: { email: string | null; phone: string | null; name: string; postal_code: string }): string {
  const k = identityKeys({ email: r.email, phone: r.phone, name: r.name, postalCode: r.postal_code });
  if (k.email !== null) return `e:${k.email}`;
  if (k.phone !== null) return `n:${k.name ?? ''}|${k.phone}`;
  return `p:${k.name ?? ''}|${k.postal ?? ''}`;
}
