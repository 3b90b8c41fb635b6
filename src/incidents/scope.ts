import type { Writable } from 'node:stream';
import { groupBy } from '../shared/collections.js';
import type { OrderTable } from '../checkout/tables.js';
import { PostgresAdapter, sql, type RawBuilder } from 'kysely';
import type { Db, DbOrTx } from '../db/index.js';
import type { OrderChannel } from '../checkout/tables.js';
import { CatalogRequestService } from '../catalog-requests/service.js';
import type { CatalogRequestTable } from '../catalog-requests/tables.js';
import { requesterKey } from '../shared/identity.js';
import { nfkc } from '../shared/jp.js';
import { addDays, isIsoDate, jstDate } from '../shared/time.js';

/**
 * Incident scoping, by the rules of ../shared/docs/history-format.md, over the shop's own tables
 * (orders placed here and imported history alike), in SQL set operations over the identity-key
 * columns and the scoping keys stored on each order (src/shared/identity.ts); no order is loaded
 * into JavaScript to count, and the counts are one statement over orders_scope_idx.
 *
 * - A person is a member (`m:` + customer id). A guest order belongs to the member whose e-mail
 *   key equals the orderer's (the earliest registered, should several share it); else to its
 *   e-mail key (`e:`); a guest order without e-mail to (name key, phone key) (`n:`).
 * - A recipient is a shipping destination (not "ship to the orderer") whose name key or phone key
 *   differs from the orderer's, identified by (name, phone, postal code) keys (`r:`). Recipients
 *   are counted apart from persons (the rules give no link between the two).
 * - A catalog requester (カタログ請求) is a person registered at the request time: by e-mail like a
 *   guest (so the member with that e-mail, if any); without e-mail by (name, phone) like a guest
 *   without e-mail; without phone either by (name, postal code) (`p:`). See identity.ts requesterKey.
 * - Windows are Japan calendar days, both ends inclusive. Card: every payment attempt (any status)
 *   of an order placed in the window. Personal: members registered or updated in the window,
 *   catalog requests made in it, and orderers of orders placed in the window. Recipients: of
 *   orders placed in their window.
 */

export interface DayWindow {
  from: string;
  to: string;
}

export interface ScopeWindows {
  card: DayWindow | null;
  personal: DayWindow | null;
  /** Shipping recipients; the personal window when not given. */
  recipients?: DayWindow | null;
}

export interface ScopeOptions {
  /** Only orders of these channels (member registrations and updates count as web). */
  channels?: OrderChannel[] | null;
}

export interface ScopeCounts {
  card: { persons: number; payments: number };
  personal: { persons: number; members: number; guests: number };
  recipients: { persons: number };
  total: { persons: number; personsExcludingRecipients: number };
  windows: { card: DayWindow | null; personal: DayWindow | null; recipients: DayWindow | null };
  channels: OrderChannel[] | null;
}

export type PersonalItem = 'name' | 'address' | 'email' | 'phone' | 'fax';

export interface ScopeContact {
  name: string;
  email: string | null;
  phone: string | null;
  fax: string | null;
  postalCode: string;
  prefecture: string;
  address1: string;
  address2: string | null;
}

export interface CardAttempt {
  /** JST date of the attempt. */
  date: string;
  brand: string | null;
  last4: string | null;
  status: string;
  orderId: string;
  orderedOn: string;
  providerRef: string | null;
  amountYen: number;
}

/** One line of `--out`: an affected person or recipient with what of theirs was exposed. */
export interface ScopeEntry {
  type: 'person' | 'recipient';
  /** Stable within one database: `m:` member, `e:` guest e-mail, `n:` guest name+phone, `r:` recipient. */
  key: string;
  /** The member's history id (external id of an imported member, else the shop's id). */
  memberId: string | null;
  categories: ('card' | 'personal' | 'recipients')[];
  contact: ScopeContact;
  card: CardAttempt[];
  /** `catalogRequests`: catalog requests (カタログ請求) of the person in the personal window, when there are any. */
  personal: { items: PersonalItem[]; registeredOn: string | null; updatedOn: string | null; orders: number; catalogRequests?: number } | null;
  recipient: { items: PersonalItem[]; orders: { orderId: string; orderedOn: string }[] } | null;
  /** JST dates of the first and last exposure (for charts by month). */
  firstExposedOn: string;
  lastExposedOn: string;
}

export function parseDayWindow(from: string | undefined, to: string | undefined, label: string): DayWindow | null {
  if (from === undefined && to === undefined) return null;
  if (!from || !to || !isIsoDate(from) || !isIsoDate(to)) throw new Error(`--${label}-from and --${label}-to must both be dates (YYYY-MM-DD).`);
  if (from > to) throw new Error(`--${label}-from must not be after --${label}-to.`);
  return { from, to };
}

/** [start, end) in stored form (UTC ISO text) of a window of Japan calendar days. */
export function windowInstants(w: DayWindow): { start: string; end: string } {
  return {
    start: new Date(`${w.from}T00:00:00+09:00`).toISOString(),
    end: new Date(`${addDays(w.to, 1)}T00:00:00+09:00`).toISOString(),
  };
}

function within(column: RawBuilder<unknown>, w: DayWindow | null): RawBuilder<unknown> {
  if (!w) return sql`0 = 1`;
  const { start, end } = windowInstants(w);
  return sql`(${column} >= ${start} and ${column} < ${end})`;
}

const jst = (iso: string) => jstDate(new Date(iso));
/** An address as typed (full-width, stray spaces) made into one a mail can go to. */
const sendable = (email: string | null) => (email ? nfkc(email).trim() : null);

/**
 * The person an identity key belongs to: an `e:` key (guest or catalog requester e-mail) is the
 * member's whose e-mail key it is (the earliest registered, should several share it), looked up
 * through customers_email_key_idx; any other key is its own person.
 */
function resolvePerson(key: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`case when substr(${key}, 1, 2) = 'e:' then coalesce(
    (select 'm:' || c.id from customers c where c.email_key = substr(${key}, 3) order by c.created_at, c.id limit 1), ${key}) else ${key} end`;
}

/**
 * Orders anonymised by retention (src/privacy/retention.ts) hold no one's data any more: they have
 * no member and no orderer key, and count for no person (their card attempts still count as
 * payments, for the card companies' monitoring).
 */
const HAS_PERSON = sql`and (o.customer_id is not null or o.orderer_key is not null)`;

/** The person of an order (`o`): its member, else its orderer key resolved. */
const orderPerson = sql`case when o.customer_id is not null then 'm:' || o.customer_id else ${resolvePerson(sql`o.orderer_key`)} end`;

interface ScopeParts {
  /** Recipients' window (the personal one when not given). */
  recipients: DayWindow | null;
  channels: OrderChannel[] | null;
  /** Orders placed in any window. */
  anyWindow: RawBuilder<unknown>;
  channelFilter: RawBuilder<unknown>;
  inCard: RawBuilder<unknown>;
  inPersonal: RawBuilder<unknown>;
  inRecipients: RawBuilder<unknown>;
  /** `union all` rows (person, 0 as card, 1 as personal) of members and catalog requesters who typed their data in the personal window. */
  others: RawBuilder<unknown>;
  /** The catalog requests of the personal window, by id. */
  requests: Map<string, CatalogRequestTable>;
}

function scopeParts(windows: ScopeWindows, opts: ScopeOptions): ScopeParts {
  const recipients = windows.recipients === undefined ? windows.personal : windows.recipients;
  const channels = opts.channels?.length ? opts.channels : null;
  const placed = sql`o.placed_at`;
  const ws = [windows.card, windows.personal, recipients].filter((w): w is DayWindow => w !== null).map(windowInstants);
  const anyWindow = ws.length
    ? sql`o.placed_at >= ${ws.map((w) => w.start).sort()[0]!} and o.placed_at < ${ws.map((w) => w.end).sort().at(-1)!}`
    : sql`0 = 1`;
  // Members registered or updated, and catalog requests, in the personal window: those count as web.
  const others = windows.personal && (!channels || channels.includes('web'))
    ? sql`union all select 'm:' || c.id, 0, 1 from customers c where ${within(sql`c.created_at`, windows.personal)} or ${within(sql`c.updated_at`, windows.personal)}
          union all select ${resolvePerson(sql`r.person`)}, 0, 1 from scope_requesters r`
    : sql``;
  return {
    recipients, channels, anyWindow, others, requests: new Map(),
    // Monitor orders (the external monitor's walks) are never anyone's personal data or card attempts.
    channelFilter: channels ? sql`and o.is_monitor = 0 and o.channel in (${sql.join(channels)})` : sql`and o.is_monitor = 0`,
    inCard: within(placed, windows.card),
    inPersonal: within(placed, windows.personal),
    inRecipients: within(placed, recipients),
  };
}

/**
 * Runs `fn` on one connection with `scope_requesters` (the catalog requests of the personal
 * window, read through CatalogRequestService, with their person key) and, for the per-person
 * lines, `scope_orders` (every order in any window with its person and flags), `scope_persons`
 * and `scope_recipients`; drops them after.
 */
async function withScopeTables<T>(db: Db, windows: ScopeWindows, opts: ScopeOptions & { forEntries: boolean }, fn: (conn: DbOrTx, parts: ScopeParts) => Promise<T>): Promise<T> {
  const parts = scopeParts(windows, opts);
  const requests = windows.personal && (!parts.channels || parts.channels.includes('web'))
    ? await new CatalogRequestService(db).requestsBetween(windowInstants(windows.personal).start, windowInstants(windows.personal).end)
    : [];
  for (const r of requests) parts.requests.set(r.id, r);
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return db.connection().execute(async (conn) => {
    const drop = async () => {
      for (const t of ['scope_requesters', 'scope_orders', 'scope_persons', 'scope_recipients']) await sql`drop table if exists ${sql.table(t)}`.execute(conn);
    };
    await drop();
    if (postgres) {
      // The subqueries make the planner's cost estimate huge, so PostgreSQL JIT-compiles the
      // statement: ≈ 1.3 s of compiling for a statement that runs in less. And the group-bys
      // should sort in memory rather than spill to disk (server memory, per sort, for this session).
      await sql`set jit = off`.execute(conn);
      await sql`set work_mem = '64MB'`.execute(conn);
    }
    try {
      await sql`create temporary table scope_requesters (request_id text primary key, person text not null)`.execute(conn);
      for (let i = 0; i < requests.length; i += 500) {
        const values = sql.join(requests.slice(i, i + 500).map((r) => sql`(${r.id}, ${requesterKey(r)})`));
        await sql`insert into scope_requesters (request_id, person) values ${values}`.execute(conn);
      }
      if (!opts.forEntries) return await fn(conn, parts);

      const { inCard, inPersonal, inRecipients, anyWindow, channelFilter } = parts;
      await sql`create temporary table scope_orders (
        order_id text not null, person text not null, recipient text, placed_at text not null,
        card integer not null, personal integer not null, recip integer not null)`.execute(conn);
      await sql`
        insert into scope_orders (order_id, person, recipient, placed_at, card, personal, recip)
        select o.id, ${orderPerson}, o.recipient_key, o.placed_at,
          case when ${inCard} then 1 else 0 end,
          case when ${inPersonal} then 1 else 0 end,
          case when ${inRecipients} then 1 else 0 end
        from orders o
        where ${anyWindow} ${channelFilter} ${HAS_PERSON}`.execute(conn);
      await sql`create index scope_orders_person on scope_orders (person)`.execute(conn);
      await sql`create index scope_orders_recipient on scope_orders (recipient)`.execute(conn);
      await sql`create temporary table scope_persons (person text primary key, card integer not null, personal integer not null)`.execute(conn);
      await sql`
        insert into scope_persons (person, card, personal)
        select person, max(card), max(personal) from (
          select so.person as person, 1 as card, 0 as personal from scope_orders so
            where so.card = 1 and exists (select 1 from payments p where p.order_id = so.order_id)
          union all
          select so.person, 0, 1 from scope_orders so where so.personal = 1
          ${parts.others}
        ) t group by person`.execute(conn);
      await sql`create temporary table scope_recipients (recipient text primary key)`.execute(conn);
      await sql`insert into scope_recipients (recipient) select distinct recipient from scope_orders where recip = 1 and recipient is not null`.execute(conn);
      return await fn(conn, parts);
    } finally {
      await drop();
      if (postgres) {
        await sql`reset jit`.execute(conn);
        await sql`reset work_mem`.execute(conn);
      }
    }
  });
}

/**
 * The counts in one statement. Orders are first grouped by (member id, orderer key) — a range scan
 * of orders_scope_idx over each window, with a payments probe by order for the card window —, so
 * that a guest key is resolved to its member once per distinct key rather than once per order;
 * then grouped by person. No per-order temporary table.
 */
async function counts(conn: DbOrTx, windows: ScopeWindows, parts: ScopeParts): Promise<ScopeCounts> {
  const { inCard, inPersonal, inRecipients, channelFilter } = parts;
  const row = (await sql<{ card_persons: number | string | null; personal: number | string | null; personal_members: number | string | null; persons: number | string; card_payments: number | string; recipients: number | string }>`
    select
      sum(t.card) as card_persons, sum(t.personal) as personal,
      sum(case when t.personal = 1 and substr(t.person, 1, 2) = 'm:' then 1 else 0 end) as personal_members,
      count(*) as persons,
      (select count(*) from orders o join payments p on p.order_id = o.id where ${inCard} ${channelFilter}) as card_payments,
      (select count(distinct o.recipient_key) from orders o where ${inRecipients} and o.recipient_key is not null ${channelFilter}) as recipients
    from (
      select person, max(card) as card, max(personal) as personal from (
        select case when g.cid is not null then 'm:' || g.cid else ${resolvePerson(sql`g.gk`)} end as person, g.card, g.personal
        from (
          select cid, gk, max(card) as card, max(personal) as personal from (
            select o.customer_id as cid, o.orderer_key as gk, 1 as card, 0 as personal from orders o
              where ${inCard} ${channelFilter} ${HAS_PERSON} and exists (select 1 from payments p where p.order_id = o.id)
            union all
            select o.customer_id, o.orderer_key, 0, 1 from orders o where ${inPersonal} ${channelFilter} ${HAS_PERSON}
          ) x group by cid, gk
        ) g
        ${parts.others}
      ) u group by person
    ) t`.execute(conn)).rows[0]!;
  const n = (v: number | string | null | undefined) => Number(v ?? 0);
  const personal = n(row.personal);
  const personalMembers = n(row.personal_members);
  const recipients = n(row.recipients);
  const persons = n(row.persons);
  return {
    card: { persons: n(row.card_persons), payments: n(row.card_payments) },
    personal: { persons: personal, members: personalMembers, guests: personal - personalMembers },
    recipients: { persons: recipients },
    total: { persons: persons + recipients, personsExcludingRecipients: persons },
    windows: { card: windows.card, personal: windows.personal, recipients: parts.recipients },
    channels: parts.channels,
  };
}

/** The counts of the scope (the `--json` contract). */
export function scopeCounts(db: Db, windows: ScopeWindows, opts: ScopeOptions = {}): Promise<ScopeCounts> {
  return withScopeTables(db, windows, { ...opts, forEntries: false }, (conn, parts) => counts(conn, windows, parts));
}

function write(out: Writable, line: string): Promise<void> | null {
  if (out.write(`${line}\n`)) return null;
  return new Promise((resolve) => out.once('drain', resolve));
}

const PAGE = 1000;

/** Counts, and one line per affected person and recipient written to `out` (streamed, a page at a time). */
export function scopeWithEntries(db: Db, windows: ScopeWindows, opts: ScopeOptions, out: Writable): Promise<ScopeCounts> {
  return withScopeTables(db, windows, { ...opts, forEntries: true }, async (conn, parts) => {
    const result = await counts(conn, windows, parts);
    let last = '';
    for (;;) {
      const page = (await sql<{ person: string; card: number; personal: number }>`
        select person, card, personal from scope_persons where person > ${last} order by person limit ${PAGE}`.execute(conn)).rows;
      if (page.length === 0) break;
      for (const e of await personEntries(conn, page, windows, parts.requests)) await write(out, JSON.stringify(e));
      last = page.at(-1)!.person;
    }
    last = '';
    for (;;) {
      const page = (await sql<{ recipient: string }>`
        select recipient from scope_recipients where recipient > ${last} order by recipient limit ${PAGE}`.execute(conn)).rows;
      if (page.length === 0) break;
      for (const e of await recipientEntries(conn, page.map((r) => r.recipient))) await write(out, JSON.stringify(e));
      last = page.at(-1)!.recipient;
    }
    return result;
  });
}

type OrderContactRow = { person: string; order_id: string; card: number; personal: number } & Pick<OrderTable,
  'order_number' | 'placed_at' | 'orderer_name' | 'orderer_email' | 'orderer_phone' | 'orderer_fax' | 'orderer_postal_code' | 'orderer_prefecture' | 'orderer_address1' | 'orderer_address2'>;


function itemsOf(has: { email: boolean; phone: boolean; fax: boolean }): PersonalItem[] {
  const items: PersonalItem[] = ['name', 'address'];
  if (has.email) items.push('email');
  if (has.phone) items.push('phone');
  if (has.fax) items.push('fax');
  return items;
}

async function personEntries(
  conn: DbOrTx, page: { person: string; card: number; personal: number }[], windows: ScopeWindows, requests: Map<string, CatalogRequestTable>,
): Promise<ScopeEntry[]> {
  const keys = page.map((p) => p.person);
  const orders = (await sql<OrderContactRow>`
    select so.person, so.order_id, o.order_number, o.placed_at, so.card, so.personal,
      o.orderer_name, o.orderer_email, o.orderer_phone, o.orderer_fax, o.orderer_postal_code, o.orderer_prefecture, o.orderer_address1, o.orderer_address2
    from scope_orders so join orders o on o.id = so.order_id
    where so.person in (${sql.join(keys)}) and (so.card = 1 or so.personal = 1)
    order by so.person, o.placed_at desc`.execute(conn)).rows;
  const attempts = (await sql<{ person: string; created_at: string; brand: string | null; last4: string | null; status: string; order_number: string; placed_at: string; provider_payment_id: string | null; amount_yen: number }>`
    select so.person, p.created_at, p.brand, p.last4, p.status, o.order_number, o.placed_at, p.provider_payment_id, p.amount_yen
    from scope_orders so join payments p on p.order_id = so.order_id join orders o on o.id = so.order_id
    where so.person in (${sql.join(keys)}) and so.card = 1
    order by so.person, p.created_at, p.id`.execute(conn)).rows;
  const memberIds = keys.filter((k) => k.startsWith('m:')).map((k) => k.slice(2));
  const members = new Map(
    (memberIds.length ? await conn.selectFrom('customers').selectAll().where('id', 'in', memberIds).execute() : []).map((c) => [c.id, c]),
  );
  const requestRows = (await sql<{ request_id: string; person: string }>`
    select request_id, person from (select r.request_id, ${resolvePerson(sql`r.person`)} as person from scope_requesters r) x
    where person in (${sql.join(keys)})`.execute(conn)).rows;
  // Latest first, like the orders.
  const requestsBy = groupBy(
    requestRows.map((r) => ({ person: r.person, request: requests.get(r.request_id)! })).sort((a, b) => (a.request.created_at < b.request.created_at ? 1 : -1)),
    (r) => r.person,
  );
  const ordersBy = groupBy(orders, (o) => o.person);
  const attemptsBy = groupBy(attempts, (a) => a.person);
  const personalWindow = windows.personal ? windowInstants(windows.personal) : null;
  const inPersonal = (t: string) => personalWindow !== null && t >= personalWindow.start && t < personalWindow.end;

  return page.map((p): ScopeEntry => {
    const own = ordersBy.get(p.person) ?? [];
    const member = p.person.startsWith('m:') ? members.get(p.person.slice(2)) : undefined;
    const latest = own[0];
    const ownRequests = (requestsBy.get(p.person) ?? []).map((r) => r.request);
    const req = ownRequests[0];
    const contact: ScopeContact = member
      ? { name: member.name, email: sendable(member.email || null), phone: member.phone, fax: member.fax, postalCode: member.postal_code, prefecture: member.prefecture, address1: member.address1, address2: member.address2 }
      : !latest && req
      ? { name: req.name, email: sendable(req.email), phone: req.phone, fax: null, postalCode: req.postal_code, prefecture: req.prefecture, address1: req.address1, address2: req.address2 }
      : {
        name: latest!.orderer_name, email: sendable(own.find((o) => o.orderer_email)?.orderer_email ?? null), phone: latest!.orderer_phone,
        fax: own.find((o) => o.orderer_fax)?.orderer_fax ?? null, postalCode: latest!.orderer_postal_code,
        prefecture: latest!.orderer_prefecture, address1: latest!.orderer_address1, address2: latest!.orderer_address2,
      };
    const dates: string[] = [];
    const card: CardAttempt[] = (attemptsBy.get(p.person) ?? []).map((a) => {
      dates.push(a.placed_at);
      return {
        date: jst(a.created_at), brand: a.brand, last4: a.last4, status: a.status, orderId: a.order_number, orderedOn: jst(a.placed_at),
        providerRef: a.provider_payment_id, amountYen: Number(a.amount_yen),
      };
    });
    let personal: ScopeEntry['personal'] = null;
    if (Number(p.personal) === 1) {
      const personalOrders = own.filter((o) => Number(o.personal) === 1);
      for (const o of personalOrders) dates.push(o.placed_at);
      const registered = member && inPersonal(member.created_at) ? member.created_at : null;
      const updated = member && member.updated_at !== member.created_at && inPersonal(member.updated_at) ? member.updated_at : null;
      if (registered) dates.push(registered);
      if (updated) dates.push(updated);
      const fromMember = Boolean(registered || updated);
      for (const r of ownRequests) dates.push(r.created_at);
      personal = {
        items: itemsOf({
          email: (fromMember && Boolean(member!.email)) || personalOrders.some((o) => o.orderer_email) || ownRequests.some((r) => r.email),
          // Members and orderers always gave a phone number; a catalog requester may not have.
          phone: fromMember || personalOrders.length > 0 || ownRequests.some((r) => r.phone),
          fax: (fromMember && Boolean(member!.fax)) || personalOrders.some((o) => o.orderer_fax),
        }),
        registeredOn: registered ? jst(registered) : null,
        updatedOn: updated ? jst(updated) : null,
        orders: personalOrders.length,
        ...(ownRequests.length ? { catalogRequests: ownRequests.length } : {}),
      };
    }
    dates.sort();
    return {
      type: 'person',
      key: p.person,
      memberId: member ? (member.external_id ?? member.id) : null,
      categories: [...(Number(p.card) === 1 ? ['card' as const] : []), ...(Number(p.personal) === 1 ? ['personal' as const] : [])],
      contact,
      card,
      personal,
      recipient: null,
      firstExposedOn: jst(dates[0]!),
      lastExposedOn: jst(dates.at(-1)!),
    };
  });
}

async function recipientEntries(conn: DbOrTx, keys: string[]): Promise<ScopeEntry[]> {
  const rows = (await sql<{ recipient: string; order_number: string; placed_at: string; shipping_name: string; shipping_phone: string | null; shipping_postal_code: string; shipping_prefecture: string; shipping_address1: string; shipping_address2: string | null }>`
    select so.recipient, o.order_number, o.placed_at, o.shipping_name, o.shipping_phone, o.shipping_postal_code, o.shipping_prefecture, o.shipping_address1, o.shipping_address2
    from scope_orders so join orders o on o.id = so.order_id
    where so.recipient in (${sql.join(keys)}) and so.recip = 1
    order by so.recipient, o.placed_at desc`.execute(conn)).rows;
  const by = groupBy(rows, (r) => r.recipient);
  return keys.map((k): ScopeEntry => {
    const orders = by.get(k)!;
    const latest = orders[0]!;
    return {
      type: 'recipient',
      key: k,
      memberId: null,
      categories: ['recipients'],
      contact: {
        name: latest.shipping_name, email: null, phone: latest.shipping_phone, fax: null, postalCode: latest.shipping_postal_code,
        prefecture: latest.shipping_prefecture, address1: latest.shipping_address1, address2: latest.shipping_address2,
      },
      card: [],
      personal: null,
      recipient: { items: ['name', 'address', 'phone'], orders: orders.map((o) => ({ orderId: o.order_number, orderedOn: jst(o.placed_at) })).reverse() },
      firstExposedOn: jst(orders.at(-1)!.placed_at),
      lastExposedOn: jst(latest.placed_at),
    };
  });
}
