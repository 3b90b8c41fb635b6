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

/** A domain's mail template: defaults, the placeholders it fills, and those a version must keep. */
export interface MailTemplateSpec {
  label: string;
  subject: string;
  body: string;
  placeholders: readonly string[];
  required: readonly string[];
}

/** The owner's version of a template if there is one, else the default. */
export function pickTemplate(spec: MailTemplateSpec, override: { subject: string; body: string } | undefined): { subject: string; body: string } {
  return override ?? { subject: spec.subject, body: spec.body };
}

/** Placeholders used in a text, e.g. `{{name}}` → `name`. */
export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(/\{\{\s*([a-zA-Z][a-zA-Z0-9_]*)\s*\}\}/g)].map((m) => m[1]!);
}
