import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import inventoryJson from './script-inventory.json' with { type: 'json' };

/**
 * The payment-page script inventory (PCI DSS v4.0.1 requirement 6.4.3): every script that the
 * checkout and payment pages load, with its SHA-384 (the Subresource Integrity value), purpose,
 * justification and who approved it. The list is `script-inventory.json` beside this file, checked
 * in: a change to it is a reviewed commit, and the commit plus `approvedBy` is the authorisation.
 *
 * - Pages take each listed script's `integrity=` from here (src/web/assets.ts), not from the file:
 *   a script changed on disk without a new approved entry is refused by every browser.
 * - `npm run build` renders the payment-path pages and fails on any script that is not listed, whose
 *   hash differs, that is inline, or that lacks `integrity`/`crossorigin` (scripts/check-script-inventory.ts).
 * - The admin security page shows the list with the live hash of each file.
 */

const entrySchema = z
  .object({
    /** URL path as pages reference it, without the `?v=` cache buster; or an absolute URL for another origin. */
    path: z.string().regex(/^(\/[A-Za-z0-9._~/-]+|https:\/\/[^\s]+)$/),
    /** Where the file lives in the repository (for people). */
    source: z.string().min(1),
    sha384: z.string().regex(/^sha384-[A-Za-z0-9+/]{64}$/),
    purpose: z.string().min(10),
    justification: z.string().min(10),
    pages: z.array(z.string()).min(1),
    approvedBy: z.string().min(3),
    approvedAt: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  })
  .strict();

const inventorySchema = z.object({ version: z.literal(1), about: z.string(), scripts: z.array(entrySchema) }).strict();

export type ScriptInventoryEntry = z.infer<typeof entrySchema>;
export type ScriptInventory = z.infer<typeof inventorySchema>;

/** Parses and validates an inventory document (throws a readable error). */
export function parseScriptInventory(doc: unknown): ScriptInventory {
  const r = inventorySchema.safeParse(doc);
  if (!r.success) {
    throw new Error(`script inventory is invalid: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const seen = new Set<string>();
  for (const s of r.data.scripts) {
    if (seen.has(s.path)) throw new Error(`script inventory lists ${s.path} twice`);
    seen.add(s.path);
  }
  return r.data;
}

let cached: ScriptInventory | null = null;

/** The checked-in inventory (validated once). */
export function scriptInventory(): ScriptInventory {
  cached ??= parseScriptInventory(inventoryJson);
  return cached;
}

/** `sha384-<base64>`: the Subresource Integrity value of some bytes. */
export function sri384(body: Buffer | string): string {
  return `sha384-${createHash('sha384').update(body).digest('base64')}`;
}

export function inventoryEntry(inventory: ScriptInventory, path: string): ScriptInventoryEntry | undefined {
  return inventory.scripts.find((s) => s.path === path);
}

// --- What a page references --------------------------------------------------------------------

export interface PageScript {
  /** `src` as written, or null for an inline script. */
  src: string | null;
  integrity: string | null;
  crossorigin: string | null;
  /** Where it came from: `<script>`, `<link rel=modulepreload|preload as=script>`, an `on…=` attribute, a `javascript:` URL. */
  kind: 'script' | 'link' | 'event-handler' | 'javascript-url';
  /** First characters of inline code (for the message). */
  inline?: string;
}

const TAG = /<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*\/?>/g;
const ATTR = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;

function decode(v: string): string {
  return v.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function attrsOf(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of raw.matchAll(ATTR)) {
    const name = m[1]!.toLowerCase();
    if (!out.has(name)) out.set(name, decode(m[2] ?? m[3] ?? m[4] ?? ''));
  }
  return out;
}

/**
 * Every script an HTML document would run or fetch as a script: `<script>` elements (external or
 * inline), script preloads, inline event-handler attributes and `javascript:` URLs. A small
 * tokenizer over the tags, enough for the shop's own server-rendered HTML (which escapes every
 * attribute value); it errs on the side of reporting.
 */
export function extractScripts(html: string): PageScript[] {
  const out: PageScript[] = [];
  TAG.lastIndex = 0;
  for (let m = TAG.exec(html); m; m = TAG.exec(html)) {
    const tag = m[1]!.toLowerCase();
    const attrs = attrsOf(m[2] ?? '');
    for (const [name, value] of attrs) {
      if (/^on[a-z]+$/.test(name)) out.push({ src: null, integrity: null, crossorigin: null, kind: 'event-handler', inline: `${tag} ${name}="${value.slice(0, 60)}"` });
      else if (['href', 'src', 'action', 'formaction', 'data'].includes(name) && /^\s*javascript:/i.test(value)) {
        out.push({ src: null, integrity: null, crossorigin: null, kind: 'javascript-url', inline: `${tag} ${name}="${value.slice(0, 60)}"` });
      }
    }
    if (tag === 'script') {
      const end = html.indexOf('</script', TAG.lastIndex);
      const body = end < 0 ? html.slice(TAG.lastIndex) : html.slice(TAG.lastIndex, end);
      const type = (attrs.get('type') ?? '').toLowerCase();
      // Data blocks (application/json, application/ld+json) are not run; anything else is a script.
      const dataBlock = type !== '' && !/^(text|application)\/(x-)?(java|ecma)script$|^module$/.test(type);
      if (attrs.has('src')) {
        out.push({ src: attrs.get('src')!, integrity: attrs.get('integrity') ?? null, crossorigin: attrs.get('crossorigin') ?? null, kind: 'script' });
      } else if (!dataBlock) {
        out.push({ src: null, integrity: null, crossorigin: null, kind: 'script', inline: body.trim().slice(0, 60) });
      }
      if (end >= 0) TAG.lastIndex = end;
    } else if (tag === 'link') {
      const rel = (attrs.get('rel') ?? '').toLowerCase().split(/\s+/);
      if (rel.includes('modulepreload') || (rel.includes('preload') && (attrs.get('as') ?? '').toLowerCase() === 'script')) {
        out.push({ src: attrs.get('href') ?? '', integrity: attrs.get('integrity') ?? null, crossorigin: attrs.get('crossorigin') ?? null, kind: 'link' });
      }
    }
  }
  return out;
}

/** The inventory key of a referenced URL: the path for the shop's own origin (query dropped), the full URL otherwise. */
export function inventoryKey(src: string, shopOrigin: string): string {
  const u = new URL(src, `${shopOrigin}/`);
  return u.origin === shopOrigin ? u.pathname : `${u.origin}${u.pathname}`;
}

// --- The check ----------------------------------------------------------------------------------

export interface RenderedPage {
  /** What the page is, for people (`checkout form`, `payment step` …). */
  name: string;
  path: string;
  status: number;
  html: string;
  /** The response headers (for the header tests). */
  headers?: Record<string, string | string[] | number | undefined>;
}

export interface InventoryProblem {
  page: string;
  path: string;
  script: string;
  problem: string;
}

/**
 * Compares the scripts of rendered payment-path pages with the inventory. `fileHash` gives the
 * current SRI of a listed same-origin script's file (null when it cannot be found), so a file
 * changed on disk is caught too, even though pages carry the inventory's hash.
 */
export function checkPagesAgainstInventory(
  pages: RenderedPage[],
  inventory: ScriptInventory,
  opts: { shopOrigin: string; fileHash: (path: string) => string | null },
): InventoryProblem[] {
  const problems: InventoryProblem[] = [];
  const filesChecked = new Set<string>();
  for (const page of pages) {
    for (const s of extractScripts(page.html)) {
      const at = { page: page.name, path: page.path };
      if (s.src === null) {
        problems.push({ ...at, script: s.inline ?? '(inline)', problem: `inline script (${s.kind}) — payment pages may only load listed files` });
        continue;
      }
      let key: string;
      try {
        key = inventoryKey(s.src, opts.shopOrigin);
      } catch {
        problems.push({ ...at, script: s.src, problem: 'unparseable script URL' });
        continue;
      }
      const entry = inventoryEntry(inventory, key);
      if (!entry) {
        problems.push({ ...at, script: key, problem: 'not in the script inventory (src/integrity/script-inventory.json)' });
        continue;
      }
      if (s.integrity !== entry.sha384) {
        problems.push({ ...at, script: key, problem: `integrity attribute ${s.integrity ?? '(none)'} differs from the inventory's ${entry.sha384}` });
      }
      if (s.crossorigin === null) {
        problems.push({ ...at, script: key, problem: 'no crossorigin attribute: under Integrity-Policy a no-cors script request is blocked' });
      }
      if (key.startsWith('/') && !filesChecked.has(key)) {
        filesChecked.add(key);
        const live = opts.fileHash(key);
        if (live === null) problems.push({ ...at, script: key, problem: `file not found for ${entry.source}` });
        else if (live !== entry.sha384) problems.push({ ...at, script: key, problem: `file ${entry.source} has hash ${live}, the inventory says ${entry.sha384}` });
      }
    }
  }
  return problems;
}

/** The admin view: each listed script with the live hash of its file. */
export interface InventoryStatus extends ScriptInventoryEntry {
  liveSha384: string | null;
  matches: boolean;
}

export function inventoryStatus(inventory: ScriptInventory, resolveFile: (path: string) => string | null): InventoryStatus[] {
  return inventory.scripts.map((s) => {
    let live: string | null = null;
    const file = s.path.startsWith('/') ? resolveFile(s.path) : null;
    if (file) {
      try {
        live = sri384(readFileSync(file));
      } catch {
        live = null;
      }
    }
    return { ...s, liveSha384: live, matches: live === s.sha384 };
  });
}

/** A new inventory entry for a file, as JSON to paste into script-inventory.json (the command prints it). */
export function newInventoryEntry(o: { path: string; source: string; body: Buffer; purpose: string; justification: string; pages: string[]; approvedBy: string; approvedAt: string }): ScriptInventoryEntry {
  return entrySchema.parse({
    path: o.path, source: o.source, sha384: sri384(o.body), purpose: o.purpose, justification: o.justification,
    pages: o.pages, approvedBy: o.approvedBy, approvedAt: o.approvedAt,
  });
}
