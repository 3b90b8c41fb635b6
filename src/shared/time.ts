/** Dates as people in Japan see them: calendar days in Asia/Tokyo (UTC+9, no daylight saving). */
const JST_OFFSET_MS = 9 * 60 * 60 * 1000;

/** `YYYY-MM-DD` of the instant in Japan. */
export function jstDate(instant: Date = new Date()): string {
  return new Date(instant.getTime() + JST_OFFSET_MS).toISOString().slice(0, 10);
}

/** Adds whole days to a `YYYY-MM-DD` date. */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

const WEEKDAYS_JA = ['日', '月', '火', '水', '木', '金', '土'];

/** `2026-11-28` → `2026年11月28日(土)`. */
export function formatDateJa(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日(${WEEKDAYS_JA[d.getUTCDay()]})`;
}

/** An instant shown in Japan time: `2026年11月25日 21:38`. */
export function formatInstantJa(iso: string): string {
  const d = new Date(new Date(iso).getTime() + JST_OFFSET_MS);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日 ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}
