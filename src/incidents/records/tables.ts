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
