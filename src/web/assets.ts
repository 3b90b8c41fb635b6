import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inventoryEntry, scriptInventory, sri384 } from '../integrity/script-inventory.js';

export const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'static');

export interface Asset {
  url: string;
  /** Subresource Integrity value (sha384). */
  integrity: string;
}

/** The file behind a `/static/…` URL path, or null (outside the static directory, or missing). */
export function staticFile(urlPath: string): string | null {
  if (!urlPath.startsWith('/static/')) return null;
  const file = normalize(join(STATIC_DIR, urlPath.slice('/static/'.length)));
  if (!file.startsWith(STATIC_DIR + sep) || !existsSync(file)) return null;
  return file;
}

/**
 * Self-hosted assets referenced by pages. A script takes its Subresource Integrity value from the
 * approved script inventory (src/integrity/script-inventory.json, PCI DSS 6.4.3), not from the
 * file: a script changed on disk without an approved inventory entry is refused by the browser.
 * The stylesheet's hash is computed from the file at start.
 */
export function loadAssets(opts: { warn?: (msg: string) => void } = {}): { css: Asset; js: Asset } {
  const make = (rel: string): Asset => {
    const body = readFileSync(join(STATIC_DIR, rel));
    const url = `/static/${rel}`;
    const listed = rel.endsWith('.js') ? inventoryEntry(scriptInventory(), url) : undefined;
    const actual = sri384(body);
    if (listed && listed.sha384 !== actual) {
      opts.warn?.(`${url} differs from the script inventory (file ${actual}, approved ${listed.sha384}): browsers will refuse it until the inventory is updated`);
    }
    const integrity = listed?.sha384 ?? actual;
    const version = createHash('sha256').update(integrity).digest('base64url').slice(0, 10);
    return { url: `${url}?v=${version}`, integrity };
  };
  return { css: make('css/shop.css'), js: make('js/shop.js') };
}
