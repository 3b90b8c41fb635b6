import type { KnownVia, TimelineKind } from '../model.js';

/** An incident: how it became known, what happened, which report cases apply, exposure windows. */
export interface IncidentTable {
  id: string;
  /** Shown to people and on reports: INC-YYYY-NNN. */
  number: string;
  title: string;
  known_on: string;
  known_via: KnownVia;
  known_detail: string;
  cause: string;
  case_sensitive: number;
  case_financial: number;
  case_unlawful: number;
  case_over1000: number;
  card_from: string | null;
  card_to: string | null;
  personal_from: string | null;
  personal_to: string | null;
  secondary_damage: string;
  measures: string;
  card_reissue_free: number;
  other_notes: string;
  /** The per-person notice template of this incident (null: the default). */
  notice_subject: string | null;
  notice_body: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

/** The timeline: payments suspended, forensics, police, PPC reports, notices, public notice … */
export interface IncidentEventTable {
  id: string;
  incident_id: string;
  on_date: string;
  kind: TimelineKind;
  note: string;
  created_by: string;
  created_at: string;
}

/** A saved, numbered scope of an incident: the windows it was computed for and its counts. */
export interface IncidentScopeTable {
  id: string;
  incident_id: string;
  seq: number;
  card_from: string | null;
  card_to: string | null;
  personal_from: string | null;
  personal_to: string | null;
  /** The scope's counts (JSON of ScopeCounts). */
  counts: string;
  created_by: string;
  created_at: string;
}

/** One affected person or recipient of a snapshot, with their exposed items (JSON of ScopeEntry). */
export interface IncidentScopeEntryTable {
  scope_id: string;
  entry_key: string;
  type: 'person' | 'recipient';
  /** Comma-separated: card, personal, recipients. */
  categories: string;
  first_exposed_on: string;
  entry: string;
}

export type NoticeStatus = 'queued' | 'sent' | 'letter_pending' | 'letter_generated' | 'letter_posted';

/** One person's notice for an incident: sent at most once per person (unique incident + key). */
export interface IncidentNoticeTable {
  id: string;
  incident_id: string;
  scope_id: string;
  entry_key: string;
  /** Printed on the mail and the letter so a reply can be matched: N-<incident number>-<6 digits>. */
  reference: string;
  type: 'person' | 'recipient';
  email: string | null;
  status: NoticeStatus;
  /** Why it went to the letter queue: no_email, recipient, bounced (SMTP 5xx or an imported bounce). */
  letter_reason: string | null;
  outbox_key: string | null;
  letter_batch_id: string | null;
  created_at: string;
  updated_at: string;
}

/** A printed batch of notice letters (one PDF and one mailing CSV). */
export interface IncidentLetterBatchTable {
  id: string;
  incident_id: string;
  seq: number;
  letters: number;
  pages: number;
  file: string;
  created_by: string;
  created_at: string;
  posted_by: string | null;
  posted_at: string | null;
}
