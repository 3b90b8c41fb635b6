import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditLog } from '../../admin/audit.js';
import { nowIso, type Db } from '../../db/index.js';
import { enqueueMail } from '../../notify/outbox.js';
import { pickTemplate } from '../../notify/template.js';
import type { SettingsService } from '../../settings/service.js';
import { newId } from '../../shared/ids.js';
import { formatDateJa, jstDate } from '../../shared/time.js';
import type { NoticeProgress } from '../model.js';
import type { IncidentNoticeTable } from '../records/tables.js';
import type { ScopeEntry } from '../scope.js';
import type { ScopeSnapshots } from '../snapshots.js';
import { parseBounces } from './bounces.js';
import { lettersPdf, mailingCsv, type Letter } from './letters.js';
import { NOTICE_TEMPLATE, renderNotice, type NoticeContext } from './render.js';

export interface NoticeOptions {
  /** Where letter batches are written (`<dir>/<incident number>/letters-<n>.pdf|.csv`). */
  dir: string;
  /** Notice e-mails handed to the mail server per second at most (they are scheduled, not burst). */
  mailsPerSecond: number;
  /** Letters per PDF batch. */
  lettersPerBatch: number;
}

export interface SendResult {
  snapshot: number;
  emails: number;
  letters: number;
  /** Already notified for this incident (never twice). */
  skipped: number;
}

export interface LetterBatch {
  id: string;
  seq: number;
  letters: number;
  pages: number;
  pdf: string;
  csv: string;
}

/**
 * Per-person notices of an incident: an e-mail through the outbox to every affected person with
 * an address, a letter to everyone else (no address, a bounced address, recipients). Each person
 * is notified at most once per incident (a unique key, and the outbox's own dedupe key), sending
 * is resumable (run it again after a crash: who is done stays done), and the mails are scheduled
 * at a configured rate instead of flooding the mail server.
 */
export class NoticeService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly settings: SettingsService,
    private readonly snapshots: ScopeSnapshots,
    private readonly opts: NoticeOptions,
  ) {}

  private async context(cardReissueFree: boolean): Promise<NoticeContext> {
    const s = (await this.settings.get()).shop;
    return { shopName: s.name, company: s.company, contact: `電話 ${s.phone}（${s.hours}）／メール ${s.email}`, cardReissueFree };
  }

  /** Queues the notices of the latest snapshot for everyone not notified yet. Null without a snapshot. */
  async send(incidentId: string, actor: string): Promise<SendResult | null> {
    const incident = await this.db.selectFrom('incidents').selectAll().where('id', '=', incidentId).executeTakeFirst();
    const snapshot = await this.snapshots.latest(incidentId);
    if (!incident || !snapshot) return null;
    const template = pickTemplate(NOTICE_TEMPLATE, incident.notice_subject && incident.notice_body ? { subject: incident.notice_subject, body: incident.notice_body } : undefined);
    const ctx = await this.context(incident.card_reissue_free === 1);
    const result: SendResult = { snapshot: snapshot.seq, emails: 0, letters: 0, skipped: 0 };
    const perSecond = Math.max(1, this.opts.mailsPerSecond);
    const start = Date.now();
    let scheduled = 0;
    for await (const page of this.snapshots.entries(snapshot.id)) {
      await this.db.transaction().execute(async (trx) => {
        const keys = page.map((e) => e.key);
        const done = new Set((await trx.selectFrom('incident_notices').select('entry_key').where('incident_id', '=', incidentId).where('entry_key', 'in', keys).execute()).map((r) => r.entry_key));
        const count = await trx.selectFrom('incident_notices').select((eb) => eb.fn.countAll<number>().as('n')).where('incident_id', '=', incidentId).executeTakeFirstOrThrow();
        let next = Number(count.n);
        const now = nowIso();
        const rows: IncidentNoticeTable[] = [];
        for (const e of page) {
          if (done.has(e.key)) {
            result.skipped++;
            continue;
          }
          next++;
          const reference = `N-${incident.number.replace(/^INC-/, '')}-${String(next).padStart(6, '0')}`;
          const email = e.type === 'person' ? e.contact.email : null;
          const outboxKey = email ? `incident-notice:${incidentId}:${e.key}` : null;
          rows.push({
            id: newId('ntc'), incident_id: incidentId, scope_id: snapshot.id, entry_key: e.key, reference, type: e.type, email,
            status: email ? 'queued' : 'letter_pending', letter_reason: email ? null : e.type === 'recipient' ? 'recipient' : 'no_email',
            outbox_key: outboxKey, letter_batch_id: null, created_at: now, updated_at: now,
          });
          if (email && outboxKey) {
            const mail = renderNotice(template, e, reference, ctx);
            await enqueueMail(trx, { dedupeKey: outboxKey, kind: 'incident_notice', to: email, subject: mail.subject, text: mail.text });
            // The rate limit: the n-th mail is due no earlier than n / rate seconds from now.
            const due = nowIso(new Date(start + Math.floor(scheduled / perSecond) * 1000));
            scheduled++;
            if (due > now) await trx.updateTable('outbox').set({ next_attempt_at: due }).where('dedupe_key', '=', outboxKey).where('status', '=', 'pending').execute();
            result.emails++;
          } else {
            result.letters++;
          }
        }
        if (rows.length) await trx.insertInto('incident_notices').values(rows).execute();
      });
    }
    await this.audit.append({ actor, action: 'incident.notices_send', target: incidentId, detail: { number: incident.number, ...result } });
    return result;
  }

  /** Brings the notices in line with the outbox: sent mails are sent; failed ones (SMTP 5xx) go to the letter queue. */
  async refresh(incidentId?: string): Promise<void> {
    const now = nowIso();
    let sent = this.db.updateTable('incident_notices').set({ status: 'sent', updated_at: now })
      .where('status', '=', 'queued')
      .where('outbox_key', 'in', (eb) => eb.selectFrom('outbox').select('dedupe_key').where('kind', '=', 'incident_notice').where('status', '=', 'sent'));
    let failed = this.db.updateTable('incident_notices').set({ status: 'letter_pending', letter_reason: 'bounced', updated_at: now })
      .where('status', 'in', ['queued', 'sent'])
      .where('outbox_key', 'in', (eb) => eb.selectFrom('outbox').select('dedupe_key').where('kind', '=', 'incident_notice').where('status', '=', 'failed'));
    if (incidentId) {
      sent = sent.where('incident_id', '=', incidentId);
      failed = failed.where('incident_id', '=', incidentId);
    }
    await failed.execute();
    await sent.execute();
  }

  /** A bounce list or DSN messages: those addresses' notices move to the letter queue. */
  async importBounces(text: string, actor: string): Promise<{ addresses: number; moved: number; ignored: number }> {
    const list = parseBounces(text);
    let moved = 0;
    for (let i = 0; i < list.addresses.length; i += 500) {
      const chunk = list.addresses.slice(i, i + 500);
      const r = await this.db.updateTable('incident_notices').set({ status: 'letter_pending', letter_reason: 'bounced', updated_at: nowIso() })
        .where('status', 'in', ['queued', 'sent'])
        .where((eb) => eb(eb.fn('lower', ['email']), 'in', chunk))
        .executeTakeFirst();
      moved += Number(r.numUpdatedRows);
    }
    await this.audit.append({ actor, action: 'incident.notices_bounces', target: null, detail: { addresses: list.addresses.length, moved, ignored: list.ignored } });
    return { addresses: list.addresses.length, moved, ignored: list.ignored };
  }

  /** Prints the letter queue of an incident into batches (PDF + mailing CSV). */
  async generateLetters(incidentId: string, actor: string): Promise<LetterBatch[]> {
    const incident = await this.db.selectFrom('incidents').selectAll().where('id', '=', incidentId).executeTakeFirst();
    if (!incident) return [];
    await this.refresh(incidentId);
    const template = pickTemplate(NOTICE_TEMPLATE, incident.notice_subject && incident.notice_body ? { subject: incident.notice_subject, body: incident.notice_body } : undefined);
    const ctx = await this.context(incident.card_reissue_free === 1);
    const shop = (await this.settings.get()).shop;
    const sender = { company: shop.company, postalCode: shop.postalCode, address: shop.address, phone: shop.phone };
    const dir = join(this.opts.dir, incident.number);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const batches: LetterBatch[] = [];
    for (;;) {
      const pending = await this.db.selectFrom('incident_notices as n')
        .innerJoin('incident_scope_entries as e', (j) => j.onRef('e.scope_id', '=', 'n.scope_id').onRef('e.entry_key', '=', 'n.entry_key'))
        .select(['n.id', 'n.reference', 'e.entry'])
        .where('n.incident_id', '=', incidentId).where('n.status', '=', 'letter_pending')
        .orderBy('n.reference').limit(this.opts.lettersPerBatch).execute();
      if (pending.length === 0) break;
      const letters: Letter[] = pending.map((p) => {
        const e = JSON.parse(p.entry) as ScopeEntry;
        const m = renderNotice(template, e, p.reference, ctx);
        return { reference: p.reference, postalCode: e.contact.postalCode, prefecture: e.contact.prefecture, address1: e.contact.address1, address2: e.contact.address2, name: e.contact.name, subject: m.subject, text: m.text };
      });
      const last = await this.db.selectFrom('incident_letter_batches').select('seq').where('incident_id', '=', incidentId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
      const seq = (last?.seq ?? 0) + 1;
      const { pdf, pages } = await lettersPdf(letters, sender, formatDateJa(jstDate()).replace(/\(.\)$/, ''), { title: `${incident.number} お詫びとお知らせ 第${seq}便` });
      const pdfFile = join(dir, `letters-${String(seq).padStart(3, '0')}.pdf`);
      const csvFile = join(dir, `letters-${String(seq).padStart(3, '0')}.csv`);
      await writeFile(pdfFile, pdf, { mode: 0o600 });
      await writeFile(csvFile, mailingCsv(letters, pages), { mode: 0o600 });
      await chmod(pdfFile, 0o600);
      const id = newId('ilb');
      const total = pages.reduce((a, b) => a + b, 0);
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('incident_letter_batches').values({ id, incident_id: incidentId, seq, letters: letters.length, pages: total, file: pdfFile, created_by: actor, created_at: nowIso(), posted_by: null, posted_at: null }).execute();
        await trx.updateTable('incident_notices').set({ status: 'letter_generated', letter_batch_id: id, updated_at: nowIso() })
          .where('id', 'in', pending.map((p) => p.id)).where('status', '=', 'letter_pending').execute();
        await this.audit.append({ actor, action: 'incident.letters', target: incidentId, detail: { number: incident.number, batch: seq, letters: letters.length, pages: total } }, trx);
      });
      batches.push({ id, seq, letters: letters.length, pages: total, pdf: pdfFile, csv: csvFile });
    }
    return batches;
  }

  async batches(incidentId: string) {
    return this.db.selectFrom('incident_letter_batches').selectAll().where('incident_id', '=', incidentId).orderBy('seq').execute();
  }

  async batch(incidentId: string, batchId: string) {
    return this.db.selectFrom('incident_letter_batches').selectAll().where('incident_id', '=', incidentId).where('id', '=', batchId).executeTakeFirst();
  }

  /** The print-and-post vendor posted a batch. */
  async markPosted(incidentId: string, batchId: string, actor: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const b = await trx.selectFrom('incident_letter_batches').selectAll().where('id', '=', batchId).where('incident_id', '=', incidentId).executeTakeFirst();
      if (!b || b.posted_at) return false;
      const now = nowIso();
      await trx.updateTable('incident_letter_batches').set({ posted_at: now, posted_by: actor }).where('id', '=', batchId).execute();
      await trx.updateTable('incident_notices').set({ status: 'letter_posted', updated_at: now }).where('letter_batch_id', '=', batchId).where('status', '=', 'letter_generated').execute();
      await this.audit.append({ actor, action: 'incident.letters_posted', target: incidentId, detail: { batch: b.seq, letters: b.letters } }, trx);
      return true;
    });
  }

  async progress(incidentId: string): Promise<NoticeProgress & { total: number; lettersPending: number; byReason: Record<string, number> }> {
    await this.refresh(incidentId);
    const rows = await this.db.selectFrom('incident_notices').select(['status', 'letter_reason', (eb) => eb.fn.countAll<number>().as('n')])
      .where('incident_id', '=', incidentId).groupBy(['status', 'letter_reason']).execute();
    const p = { emailSent: 0, emailQueued: 0, bounced: 0, lettersGenerated: 0, lettersPosted: 0, lettersPending: 0, total: 0, byReason: {} as Record<string, number> };
    for (const r of rows) {
      const n = Number(r.n);
      p.total += n;
      if (r.letter_reason) p.byReason[r.letter_reason] = (p.byReason[r.letter_reason] ?? 0) + n;
      if (r.letter_reason === 'bounced') p.bounced += n;
      if (r.status === 'sent') p.emailSent += n;
      else if (r.status === 'queued') p.emailQueued += n;
      else if (r.status === 'letter_pending') p.lettersPending += n;
      else if (r.status === 'letter_generated') p.lettersGenerated += n;
      else if (r.status === 'letter_posted') {
        p.lettersGenerated += n;
        p.lettersPosted += n;
      }
    }
    return p;
  }
}
