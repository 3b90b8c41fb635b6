/**
 * Mail templates are plain text with `{{placeholder}}` slots — never an executable template
 * language, so an edited template can only move text around. Unknown placeholders stay visible.
 */
export function renderTemplate(template: string, vars: Record<string, string | number>): string {
  return template.replace(/\{\{\s*([a-zA-Z][a-zA-Z0-9_]*)\s*\}\}/g, (whole, key: string) =>
    Object.prototype.hasOwnProperty.call(vars, key) ? String(vars[key]) : whole,
  );
}

export function yen(amount: number): string {
  return `${amount.toLocaleString('ja-JP')}円`;
}
