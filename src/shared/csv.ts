/**
 * The one CSV writer: files for spreadsheet software and carrier/label tools used in Japan.
 * UTF-8 with a BOM, CRLF line ends, every field quoted, and every cell that a spreadsheet would
 * read as a formula neutralised with a leading apostrophe (CSV injection).
 */
export const BOM = '\uFEFF';

/** First characters that make Excel, LibreOffice or Google Sheets evaluate a cell (and their full-width forms). */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/** One CSV field: always quoted, quotes doubled, formula-looking text prefixed with `'`. */
export function csvCell(value: string | number | null | undefined): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}

/** A whole file: BOM, header, rows, CRLF after every line. */
export function toCsv(header: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  const lines = [header, ...rows].map((r) => r.map(csvCell).join(','));
  return `${BOM}${lines.join('\r\n')}\r\n`;
}
