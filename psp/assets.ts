import { createHash } from 'node:crypto';

/**
 * The hosted page's stylesheet and icon. Kept as TypeScript strings so that `tsx` and the compiled
 * build serve the same bytes without copying asset files. Served under a content-hashed path with a
 * long cache lifetime; the CSP allows only `style-src 'self'`, so no inline style anywhere.
 */
export const PSP_CSS = `
:root {
  --ink: #1d2433;
  --muted: #5b6478;
  --line: #d9dee8;
  --bg: #f3f5f9;
  --panel: #ffffff;
  --accent: #1f5fd1;
  --accent-dark: #174aa6;
  --error: #b3261e;
  --error-bg: #fdecea;
  --ok: #1e7a46;
  --ok-bg: #e7f5ec;
  --warn-bg: #fff6dd;
  --radius: 12px;
  color-scheme: light;
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--ink);
  font-family: system-ui, -apple-system, "Hiragino Sans", "Hiragino Kaku Gothic ProN", "Noto Sans JP", "Yu Gothic UI", Meiryo, sans-serif;
  font-size: 16px;
  line-height: 1.6;
}
.en { display: block; color: var(--muted); font-size: 0.78em; font-weight: normal; line-height: 1.3; }
.topbar {
  display: flex; align-items: center; justify-content: space-between;
  max-width: 480px; margin: 0 auto; padding: 16px 16px 8px;
}
.brand { font-weight: 700; letter-spacing: 0.02em; }
.brand img { vertical-align: -4px; margin-right: 6px; }
.badge {
  display: inline-block; padding: 2px 8px; border-radius: 999px;
  background: var(--warn-bg); color: #7a5a00; font-size: 0.75rem; font-weight: 600;
}
main { max-width: 480px; margin: 0 auto; padding: 0 16px 32px; }
.panel {
  background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius);
  padding: 20px; margin-top: 12px; box-shadow: 0 1px 2px rgba(29, 36, 51, 0.04);
}
h1 { font-size: 1.25rem; margin: 0 0 12px; line-height: 1.4; }
.summary { display: grid; grid-template-columns: 1fr auto; gap: 4px 12px; margin: 0; }
.summary dt { color: var(--muted); font-size: 0.875rem; }
.summary dd { margin: 0; text-align: right; font-weight: 600; overflow-wrap: anywhere; }
.summary .description { grid-column: 1 / -1; text-align: left; font-weight: normal; color: var(--ink); }
.amount { font-size: 1.6rem; font-weight: 700; text-align: right; margin: 12px 0 0; }
.amount .yen { font-size: 1rem; margin-left: 2px; }
.notice { border-radius: 8px; padding: 12px 14px; margin: 12px 0 0; font-size: 0.95rem; }
.notice-error { background: var(--error-bg); color: var(--error); }
.notice-ok { background: var(--ok-bg); color: var(--ok); }
.notice-info { background: var(--warn-bg); color: #5c4400; }
form { margin: 0; }
.field { margin: 0 0 16px; }
.field label { display: block; font-weight: 600; margin-bottom: 6px; }
.field input {
  width: 100%; font: inherit; font-size: 1.05rem; padding: 12px 14px;
  border: 1px solid var(--line); border-radius: 8px; background: #fff; color: var(--ink);
  appearance: none;
}
.field input:focus { outline: 3px solid rgba(31, 95, 209, 0.25); border-color: var(--accent); }
.field input[aria-invalid="true"] { border-color: var(--error); }
.field-error { color: var(--error); font-size: 0.875rem; margin: 6px 0 0; }
.row { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.code-input { letter-spacing: 0.3em; text-align: center; }
button, .button {
  display: block; width: 100%; padding: 14px 16px; border: 0; border-radius: 10px;
  background: var(--accent); color: #fff; font: inherit; font-weight: 700; font-size: 1.05rem;
  text-align: center; text-decoration: none; cursor: pointer;
}
button:hover, .button:hover { background: var(--accent-dark); }
button .en, .button .en { color: rgba(255, 255, 255, 0.85); }
.cancel { display: block; text-align: center; margin-top: 16px; color: var(--muted); }
.cancel .en { display: inline; margin-left: 4px; }
.cardmark { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.hint { color: var(--muted); font-size: 0.85rem; margin: 8px 0 0; }
footer { max-width: 480px; margin: 0 auto; padding: 0 16px 32px; color: var(--muted); font-size: 0.8rem; text-align: center; }
@media (min-width: 560px) {
  .topbar { padding-top: 32px; }
  .panel { padding: 28px; }
}
`;

export const PSP_ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32">
<rect x="2" y="7" width="28" height="19" rx="4" fill="#1f5fd1"/>
<rect x="2" y="11" width="28" height="4" fill="#0e2f6b"/>
<rect x="6" y="19" width="9" height="3" rx="1" fill="#ffffff"/>
</svg>
`;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

export const CSS_PATH = `/assets/psp.${shortHash(PSP_CSS)}.css`;
export const ICON_PATH = `/assets/icon.${shortHash(PSP_ICON_SVG)}.svg`;
