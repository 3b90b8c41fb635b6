import holidayJp from '@holiday-jp/holiday_jp';
import { addDays, isIsoDate } from '../shared/time.js';

/**
 * Deadlines of the report to the PPC (個人情報保護委員会) under APPI 施行規則第8条:
 * - 速報 (preliminary report): 「速やかに」— the PPC's guideline reads this as about 3–5 days from
 *   the day the business knew; Mamori aims for day 3 and warns from day 5.
 * - 確報 (final report): within 30 days, or 60 days in the 不正の目的 case (規則7条3号: e.g. a
 *   skimmer, or data acquired through the shop's forms by an attacker).
 * Counting: the day of knowing is day 1 (初日算入). A deadline that falls on a Saturday, Sunday,
 * national holiday (@holiday-jp/holiday_jp) or 12/29–1/3 (行政機関の休日) moves to the next
 * business day.
 *
 * Dates are calendar dates in Japan, written 'YYYY-MM-DD'.
 */
export type IsoDate = string;

function parts(date: IsoDate): [number, number, number] {
  if (!isIsoDate(date)) throw new RangeError(`not a date (YYYY-MM-DD): ${date}`);
  return [Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10))];
}

/** Whole days from a to b (b − a). */
export function daysBetween(a: IsoDate, b: IsoDate): number {
  const [ay, am, ad] = parts(a);
  const [by, bm, bd] = parts(b);
  return Math.round((Date.UTC(by, bm - 1, bd) - Date.UTC(ay, am - 1, ad)) / 86_400_000);
}

export function isBusinessDay(date: IsoDate): boolean {
  const [y, m, d] = parts(date);
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  if ((m === 12 && d >= 29) || (m === 1 && d <= 3)) return false;
  return !holidayJp.isHoliday(date);
}

/** The date itself when it is a business day, otherwise the next one. */
export function onOrNextBusinessDay(date: IsoDate): IsoDate {
  let day = date;
  while (!isBusinessDay(day)) day = addDays(day, 1);
  return day;
}

/** The Nth day counting the day of knowing as day 1. */
export function nthDay(knownOn: IsoDate, n: number): IsoDate {
  return addDays(knownOn, n - 1);
}

export interface ReportDeadlines {
  knownOn: IsoDate;
  preliminary: {
    /** Day 3: when the 速報 should be in. */
    target: IsoDate;
    /** Day 5 (moved to a business day): after this the 速報 is late by the PPC's reading of 「速やかに」. */
    latest: IsoDate;
  };
  final: {
    /** 30, or 60 in the 不正の目的 case. */
    days: 30 | 60;
    /** The last counted day before moving off a non-business day. */
    nominal: IsoDate;
    /** The legal deadline. */
    due: IsoDate;
  };
}

export function reportDeadlines(knownOn: IsoDate, opts: { unlawfulPurpose: boolean }): ReportDeadlines {
  parts(knownOn);
  const days = opts.unlawfulPurpose ? 60 : 30;
  const nominal = nthDay(knownOn, days);
  return {
    knownOn,
    preliminary: { target: nthDay(knownOn, 3), latest: onOrNextBusinessDay(nthDay(knownOn, 5)) },
    final: { days, nominal, due: onOrNextBusinessDay(nominal) },
  };
}

export type DeadlineState = 'done' | 'ok' | 'due_soon' | 'due_today' | 'overdue';

export interface DeadlineStatus {
  report: 'preliminary' | 'final';
  due: IsoDate;
  state: DeadlineState;
  /** Days left until the due date (negative when overdue); null once filed. */
  daysLeft: number | null;
  message: string;
}

/**
 * Where each report stands on a given day (JST). "due_soon" starts 3 days before the due date for
 * the 速報 and 7 days before for the 確報: enough time to gather what is missing.
 */
export function deadlineStatus(d: ReportDeadlines, today: IsoDate, filed: { preliminaryOn?: IsoDate | null; finalOn?: IsoDate | null }): DeadlineStatus[] {
  const one = (report: 'preliminary' | 'final', due: IsoDate, filedOn: IsoDate | null | undefined, soon: number): DeadlineStatus => {
    const name = report === 'preliminary' ? '速報' : '確報';
    if (filedOn) {
      const late = daysBetween(due, filedOn);
      return { report, due, state: 'done', daysLeft: null, message: late > 0 ? `${name}は${filedOn}に提出済み（期限${due}を${late}日超過）` : `${name}は${filedOn}に提出済み` };
    }
    const left = daysBetween(today, due);
    if (left < 0) return { report, due, state: 'overdue', daysLeft: left, message: `${name}の期限（${due}）を${-left}日過ぎています。直ちに提出してください。` };
    if (left === 0) return { report, due, state: 'due_today', daysLeft: 0, message: `${name}の期限は本日（${due}）です。` };
    if (left <= soon) return { report, due, state: 'due_soon', daysLeft: left, message: `${name}の期限（${due}）まであと${left}日です。` };
    return { report, due, state: 'ok', daysLeft: left, message: `${name}の期限は${due}です（あと${left}日）。` };
  };
  return [one('preliminary', d.preliminary.latest, filed.preliminaryOn, 3), one('final', d.final.due, filed.finalOn, 7)];
}
