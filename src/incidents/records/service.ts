import type { AuditLog } from '../../admin/audit.js';
import { isUniqueViolation, nowIso, type Db } from '../../db/index.js';
import type { SettingsService } from '../../settings/service.js';
import { newId } from '../../shared/ids.js';
import { jstDate } from '../../shared/time.js';
import { deadlineStatus, reportDeadlines, type DeadlineStatus, type IsoDate, type ReportDeadlines } from '../deadlines.js';
import { ppcReportDraft, publicNoticeDraft, type PpcReportKind } from '../drafts.js';
import type { IncidentFacts, KnownVia, NoticeProgress, ScopeCounts, ShopFacts, TimelineKind } from '../model.js';
import type { IncidentEventTable, IncidentTable } from './tables.js';

export interface IncidentInput {
  title: string;
  knownOn: IsoDate;
  knownVia: KnownVia;
  knownDetail: string;
}

export interface IncidentPatch {
  title: string;
  knownOn: IsoDate;
  knownVia: KnownVia;
  knownDetail: string;
  cause: string;
  caseSensitive: boolean;
  caseFinancial: boolean;
  caseUnlawful: boolean;
  caseOver1000: boolean;
  cardFrom: IsoDate | null;
  cardTo: IsoDate | null;
  personalFrom: IsoDate | null;
  personalTo: IsoDate | null;
  secondaryDamage: string;
  measures: string;
  cardReissueFree: boolean;
  otherNotes: string;
}

export interface IncidentEventInput {
  on: IsoDate;
  kind: TimelineKind;
  note: string;
}

export interface IncidentView {
  incident: IncidentTable;
  events: IncidentEventTable[];
  facts: IncidentFacts;
  deadlines: ReportDeadlines;
  status: DeadlineStatus[];
}

/** The latest scope snapshot's counts and the notices' progress of an incident (scoping and notices plug in here). */
export interface IncidentFigures {
  scope(incidentId: string): Promise<ScopeCounts>;
  notices(incidentId: string): Promise<NoticeProgress | null>;
}

export const NO_SCOPE: ScopeCounts = { snapshot: null, card: { persons: 0, payments: 0 }, personal: { persons: 0 }, recipients: { persons: 0 }, total: { persons: 0 } };

const noFigures: IncidentFigures = { scope: async () => NO_SCOPE, notices: async () => null };

/**
 * Incidents (security role): the record of what happened and when, from which the deadlines, the
 * PPC report drafts and the public notice are computed. Every change is audited.
 */
export class IncidentService {
  private figures: IncidentFigures = noFigures;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly settings: SettingsService,
    private readonly publicUrl: string,
  ) {}

  /** Scoping and notices register how to read their figures (they are built on this service, not under it). */
  useFigures(figures: IncidentFigures): void {
    this.figures = figures;
  }

  async list(): Promise<{ incident: IncidentTable; status: DeadlineStatus[] }[]> {
    const rows = await this.db.selectFrom('incidents').selectAll().orderBy('known_on', 'desc').orderBy('number', 'desc').execute();
    const filed = await this.db.selectFrom('incident_events').select(['incident_id', 'kind', 'on_date']).where('kind', 'in', ['ppc_preliminary', 'ppc_final']).execute();
    const today = jstDate();
    return rows.map((incident) => {
      const mine = filed.filter((f) => f.incident_id === incident.id);
      return { incident, status: deadlineStatus(deadlinesOf(incident), today, filedOn(mine)) };
    });
  }

  async create(input: IncidentInput, actor: string): Promise<IncidentTable> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.db.transaction().execute(async (trx) => {
          const year = input.knownOn.slice(0, 4);
          const last = await trx.selectFrom('incidents').select('number').where('number', 'like', `INC-${year}-%`).orderBy('number', 'desc').limit(1).executeTakeFirst();
          const seq = last ? Number(last.number.slice(9)) + 1 : 1;
          const now = nowIso();
          const row: IncidentTable = {
            id: newId('inc'), number: `INC-${year}-${String(seq).padStart(3, '0')}`, title: input.title,
            known_on: input.knownOn, known_via: input.knownVia, known_detail: input.knownDetail, cause: '',
            case_sensitive: 0, case_financial: 0, case_unlawful: 0, case_over1000: 0,
            card_from: null, card_to: null, personal_from: null, personal_to: null,
            secondary_damage: '', measures: '', card_reissue_free: 0, other_notes: '', notice_subject: null, notice_body: null,
            created_by: actor, created_at: now, updated_at: now,
          };
          await trx.insertInto('incidents').values(row).execute();
          await trx.insertInto('incident_events').values({ id: newId('ine'), incident_id: row.id, on_date: input.knownOn, kind: 'known', note: input.knownDetail.slice(0, 500), created_by: actor, created_at: now }).execute();
          await this.audit.append({ actor, action: 'incident.create', target: row.id, detail: { number: row.number, title: row.title, knownOn: row.known_on, knownVia: row.known_via } }, trx);
          return row;
        });
      } catch (err) {
        // Two incidents opened at the same moment took the same number: take the next one.
        if (attempt < 5 && isUniqueViolation(err)) continue;
        throw err;
      }
    }
  }

  async get(id: string): Promise<IncidentView | null> {
    const incident = await this.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    if (!incident) return null;
    const events = await this.db.selectFrom('incident_events').selectAll().where('incident_id', '=', id).orderBy('on_date').orderBy('created_at').execute();
    const deadlines = deadlinesOf(incident);
    return { incident, events, facts: factsOf(incident, events), deadlines, status: deadlineStatus(deadlines, jstDate(), filedOn(events)) };
  }

  async update(id: string, p: IncidentPatch, actor: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const before = await trx.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
      if (!before) return false;
      const next: Partial<IncidentTable> = {
        title: p.title, known_on: p.knownOn, known_via: p.knownVia, known_detail: p.knownDetail, cause: p.cause,
        case_sensitive: +p.caseSensitive, case_financial: +p.caseFinancial, case_unlawful: +p.caseUnlawful, case_over1000: +p.caseOver1000,
        card_from: p.cardFrom, card_to: p.cardTo, personal_from: p.personalFrom, personal_to: p.personalTo,
        secondary_damage: p.secondaryDamage, measures: p.measures, card_reissue_free: +p.cardReissueFree, other_notes: p.otherNotes,
      };
      const changed = Object.fromEntries(Object.entries(next).filter(([k, v]) => before[k as keyof IncidentTable] !== v));
      if (Object.keys(changed).length === 0) return true;
      await trx.updateTable('incidents').set({ ...changed, updated_at: nowIso() }).where('id', '=', id).execute();
      // Long texts are audited by length only: the log records what changed, the record holds the text.
      const detail = Object.fromEntries(Object.entries(changed).map(([k, v]) => [k, typeof v === 'string' && v.length > 120 ? `(${v.length}文字)` : v]));
      await this.audit.append({ actor, action: 'incident.update', target: id, detail: { number: before.number, changed: detail } }, trx);
      return true;
    });
  }

  async addEvent(id: string, e: IncidentEventInput, actor: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const incident = await trx.selectFrom('incidents').select(['id', 'number']).where('id', '=', id).executeTakeFirst();
      if (!incident) return false;
      const row: IncidentEventTable = { id: newId('ine'), incident_id: id, on_date: e.on, kind: e.kind, note: e.note, created_by: actor, created_at: nowIso() };
      await trx.insertInto('incident_events').values(row).execute();
      await this.audit.append({ actor, action: 'incident.event', target: id, detail: { number: incident.number, on: e.on, kind: e.kind, note: e.note.slice(0, 200) } }, trx);
      return true;
    });
  }

  async setTemplate(id: string, subject: string, body: string, actor: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx.updateTable('incidents').set({ notice_subject: subject, notice_body: body, updated_at: nowIso() }).where('id', '=', id).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return false;
      await this.audit.append({ actor, action: 'incident.template', target: id, detail: { subject, bodyLength: body.length } }, trx);
      return true;
    });
  }

  async shopFacts(): Promise<ShopFacts> {
    const s = (await this.settings.get()).shop;
    return { company: s.company, shopName: s.name, representative: s.representative, postalCode: s.postalCode, address: s.address, phone: s.phone, email: s.email, hours: s.hours, url: this.publicUrl };
  }

  async scope(id: string): Promise<ScopeCounts> {
    return this.figures.scope(id);
  }

  async ppcReport(id: string, kind: PpcReportKind): Promise<{ number: string; markdown: string } | null> {
    const view = await this.get(id);
    if (!view) return null;
    const [scope, progress, shop] = await Promise.all([this.figures.scope(id), this.figures.notices(id), this.shopFacts()]);
    return { number: view.incident.number, markdown: ppcReportDraft(kind, view.facts, scope, shop, progress, jstDate()) };
  }

  async publicNotice(id: string): Promise<{ number: string; markdown: string } | null> {
    const view = await this.get(id);
    if (!view) return null;
    const [scope, shop] = await Promise.all([this.figures.scope(id), this.shopFacts()]);
    return { number: view.incident.number, markdown: publicNoticeDraft(view.facts, scope, shop, jstDate()) };
  }
}

function deadlinesOf(i: IncidentTable): ReportDeadlines {
  return reportDeadlines(i.known_on, { unlawfulPurpose: i.case_unlawful === 1 });
}

function filedOn(events: Pick<IncidentEventTable, 'kind' | 'on_date'>[]): { preliminaryOn: string | null; finalOn: string | null } {
  const first = (kind: string) => events.filter((e) => e.kind === kind).map((e) => e.on_date).sort()[0] ?? null;
  return { preliminaryOn: first('ppc_preliminary'), finalOn: first('ppc_final') };
}

export function factsOf(i: IncidentTable, events: IncidentEventTable[]): IncidentFacts {
  return {
    number: i.number, title: i.title, knownOn: i.known_on, knownVia: i.known_via, knownDetail: i.known_detail, cause: i.cause,
    cases: { sensitive: i.case_sensitive === 1, financialDamage: i.case_financial === 1, unlawfulPurpose: i.case_unlawful === 1, over1000: i.case_over1000 === 1 },
    windows: {
      card: i.card_from && i.card_to ? { from: i.card_from, to: i.card_to } : null,
      personal: i.personal_from && i.personal_to ? { from: i.personal_from, to: i.personal_to } : null,
    },
    timeline: events.map((e) => ({ on: e.on_date, kind: e.kind, note: e.note })),
    secondaryDamage: i.secondary_damage, measures: i.measures, cardReissueFree: i.card_reissue_free === 1, otherNotes: i.other_notes,
  };
}
