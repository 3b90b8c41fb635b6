import type { Writable } from 'node:stream';
import { sql, type RawBuilder } from 'kysely';
import type { Db, DbOrTx } from '../db/index.js';
import type { OrderChannel } from '../checkout/tables.js';
import { nfkc } from '../shared/jp.js';
import { addDays, isIsoDate, jstDate } from '../shared/time.js';

/**
 * Incident scoping, by the rules of ../shared/docs/history-format.md, over the shop's own tables
 * (orders placed here and imported history alike), in SQL set operations over the identity-key
 * columns (src/shared/identity.ts); no order is loaded into JavaScript to count.
 *
 * - A person is a member (`m:` + customer id). A guest order belongs to the member whose e-mail
 *   key equals the orderer's (the earliest registered, should several share it); else to its
 *   e-mail key (`e:`); a guest order without e-mail to (name key, phone key) (`n:`).
 * - A recipient is a shipping destination (not "ship to the orderer") whose name key or phone key
 *   differs from the orderer's, identified by (name, phone, postal code) keys (`r:`). Recipients
 *   are counted apart from persons (the rules give no link between the two).
 * - Windows are Japan calendar days, both ends inclusive. Card: every payment attempt (any status)
 *   of an order placed in the window. Personal: members registered or updated in the window, and
 *   orderers of orders placed in the window. Recipients: of orders placed in their window.
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
  personal: { items: PersonalItem[]; registeredOn: string | null; updatedOn: string | null; orders: number } | null;
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
 * Builds the scope in temporary tables on one connection (`scope_orders`: every order in any
 * window with its person and recipient key; `scope_persons`; `scope_recipients`), runs `fn`,
 * and drops them.
 */
async function withScopeTables<T>(db: Db, windows: ScopeWindows, opts: ScopeOptions & { forEntries: boolean }, fn: (conn: DbOrTx) => Promise<T>): Promise<T> {
  const recipients = windows.recipients === undefined ? windows.personal : windows.recipients;
  const channels = opts.channels?.length ? opts.channels : null;
  return db.connection().execute(async (conn) => {
    const drop = async () => {
      for (const t of ['scope_member_email', 'scope_orders', 'scope_persons', 'scope_recipients']) await sql`drop table if exists ${sql.table(t)}`.execute(conn);
    };
    await drop();
    try {
      const placed = sql`o.placed_at`;
      const inCard = within(placed, windows.card);
      const inPersonal = within(placed, windows.personal);
      const inRecipients = within(placed, recipients);
      const channelFilter = channels ? sql`and o.channel in (${sql.join(channels)})` : sql``;

      // The member each e-mail key belongs to: the earliest registered, should several share it.
      await sql`create temporary table scope_member_email (email_key text primary key, customer_id text not null)`.execute(conn);
      await sql`
        insert into scope_member_email (email_key, customer_id)
        select email_key, id from (
          select email_key, id, row_number() over (partition by email_key order by created_at, id) as rn
          from customers where email_key is not null
        ) m where rn = 1`.execute(conn);

      await sql`create temporary table scope_orders (
        order_id text not null, person text not null, recipient text, placed_at text not null,
        card integer not null, personal integer not null, recip integer not null)`.execute(conn);
      await sql`
        insert into scope_orders (order_id, person, recipient, placed_at, card, personal, recip)
        select o.id,
          case when o.customer_id is not null then 'm:' || o.customer_id
               when me.customer_id is not null then 'm:' || me.customer_id
               when o.orderer_email_key is not null then 'e:' || o.orderer_email_key
               else 'n:' || coalesce(o.orderer_name_key, '') || '|' || coalesce(o.orderer_phone_key, '') end,
          case when o.ship_to_orderer = 0 and o.shipping_name_key is not null
                and (o.shipping_name_key <> coalesce(o.orderer_name_key, '') or coalesce(o.shipping_phone_key, '') <> coalesce(o.orderer_phone_key, ''))
               then 'r:' || o.shipping_name_key || '|' || coalesce(o.shipping_phone_key, '') || '|' || coalesce(o.shipping_postal_key, '') end,
          o.placed_at,
          case when ${inCard} then 1 else 0 end,
          case when ${inPersonal} then 1 else 0 end,
          case when ${inRecipients} then 1 else 0 end
        from orders o
        left join scope_member_email me on o.customer_id is null and me.email_key = o.orderer_email_key
        where (${inCard} or ${inPersonal} or ${inRecipients}) ${channelFilter}`.execute(conn);
      if (opts.forEntries) {
        // Only the per-person lines look orders up by person or recipient.
        await sql`create index scope_orders_person on scope_orders (person)`.execute(conn);
        await sql`create index scope_orders_recipient on scope_orders (recipient)`.execute(conn);
      }

      // Members who typed their data (registered or updated) in the personal window; those count as web.
      const members = windows.personal && (!channels || channels.includes('web'))
        ? sql`union all select 'm:' || c.id, 0, 1 from customers c where ${within(sql`c.created_at`, windows.personal)} or ${within(sql`c.updated_at`, windows.personal)}`
        : sql``;
      await sql`create temporary table scope_persons (person text primary key, card integer not null, personal integer not null)`.execute(conn);
      await sql`
        insert into scope_persons (person, card, personal)
        select person, max(card), max(personal) from (
          select so.person as person, 1 as card, 0 as personal from scope_orders so
            where so.card = 1 and exists (select 1 from payments p where p.order_id = so.order_id)
          union all
          select so.person, 0, 1 from scope_orders so where so.personal = 1
          ${members}
        ) t group by person`.execute(conn);
      await sql`create temporary table scope_recipients (recipient text primary key)`.execute(conn);
      await sql`insert into scope_recipients (recipient) select distinct recipient from scope_orders where recip = 1 and recipient is not null`.execute(conn);
      return await fn(conn);
    } finally {
      await drop();
    }
  });
}

async function counts(conn: DbOrTx, windows: ScopeWindows, opts: ScopeOptions): Promise<ScopeCounts> {
  const one = async (q: RawBuilder<{ n: number | string }>) => Number((await q.execute(conn)).rows[0]?.n ?? 0);
  const cardPersons = await one(sql`select count(*) as n from scope_persons where card = 1`);
  const cardPayments = await one(sql`select count(*) as n from scope_orders so join payments p on p.order_id = so.order_id where so.card = 1`);
  const personal = await one(sql`select count(*) as n from scope_persons where personal = 1`);
  const personalMembers = await one(sql`select count(*) as n from scope_persons where personal = 1 and person like 'm:%'`);
  const recipients = await one(sql`select count(*) as n from scope_recipients`);
  const persons = await one(sql`select count(*) as n from scope_persons`);
  return {
    card: { persons: cardPersons, payments: cardPayments },
    personal: { persons: personal, members: personalMembers, guests: personal - personalMembers },
    recipients: { persons: recipients },
    total: { persons: persons + recipients, personsExcludingRecipients: persons },
    windows: { card: windows.card, personal: windows.personal, recipients: windows.recipients === undefined ? windows.personal : windows.recipients },
    channels: opts.channels?.length ? opts.channels : null,
  };
}

/** The counts of the scope (the `--json` contract). */
export function scopeCounts(db: Db, windows: ScopeWindows, opts: ScopeOptions = {}): Promise<ScopeCounts> {
  return withScopeTables(db, windows, { ...opts, forEntries: false }, (conn) => counts(conn, windows, opts));
}

function write(out: Writable, line: string): Promise<void> | null {
  if (out.write(`${line}\n`)) return null;
  return new Promise((resolve) => out.once('drain', resolve));
}

const PAGE = 1000;

/** Counts, and one line per affected person and recipient written to `out` (streamed, a page at a time). */
export function scopeWithEntries(db: Db, windows: ScopeWindows, opts: ScopeOptions, out: Writable): Promise<ScopeCounts> {
  return withScopeTables(db, windows, { ...opts, forEntries: true }, async (conn) => {
    const result = await counts(conn, windows, opts);
    let last = '';
    for (;;) {
      const page = (await sql<{ person: string; card: number; personal: number }>`
        select person, card, personal from scope_persons where person > ${last} order by person limit ${PAGE}`.execute(conn)).rows;
      if (page.length === 0) break;
      for (const e of await personEntries(conn, page, windows)) await write(out, JSON.stringify(e));
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

interface OrderContactRow {
  person: string;
  order_id: string;
  order_number: string;
  placed_at: string;
  card: number;
  personal: number;
  orderer_name: string;
  orderer_email: string | null;
  orderer_phone: string;
  orderer_fax: string | null;
  orderer_postal_code: string;
  orderer_prefecture: string;
  orderer_address1: string;
  orderer_address2: string | null;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = m.get(k);
    if (list) list.push(item);
    else m.set(k, [item]);
  }
  return m;
}

function itemsOf(has: { email: boolean; fax: boolean }): PersonalItem[] {
  const items: PersonalItem[] = ['name', 'address'];
  if (has.email) items.push('email');
  items.push('phone');
  if (has.fax) items.push('fax');
  return items;
}

async function personEntries(conn: DbOrTx, page: { person: string; card: number; personal: number }[], windows: ScopeWindows): Promise<ScopeEntry[]> {
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
  const ordersBy = groupBy(orders, (o) => o.person);
  const attemptsBy = groupBy(attempts, (a) => a.person);
  const personalWindow = windows.personal ? windowInstants(windows.personal) : null;
  const inPersonal = (t: string) => personalWindow !== null && t >= personalWindow.start && t < personalWindow.end;

  return page.map((p): ScopeEntry => {
    const own = ordersBy.get(p.person) ?? [];
    const member = p.person.startsWith('m:') ? members.get(p.person.slice(2)) : undefined;
    const latest = own[0];
    const contact: ScopeContact = member
      ? { name: member.name, email: sendable(member.email || null), phone: member.phone, fax: member.fax, postalCode: member.postal_code, prefecture: member.prefecture, address1: member.address1, address2: member.address2 }
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
      personal = {
        items: itemsOf({
          email: (fromMember && Boolean(member!.email)) || personalOrders.some((o) => o.orderer_email),
          fax: (fromMember && Boolean(member!.fax)) || personalOrders.some((o) => o.orderer_fax),
        }),
        registeredOn: registered ? jst(registered) : null,
        updatedOn: updated ? jst(updated) : null,
        orders: personalOrders.length,
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
