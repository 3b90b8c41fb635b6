import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'static');

export interface Asset {
  url: string;
  /** Subresource Integrity value (sha384). */
  integrity: string;
}

/** Self-hosted assets referenced by pages, with SRI hashes computed from the files at start. */
export function loadAssets(): { css: Asset; js: Asset } {
  const make = (rel: string): Asset => {
    const body = readFileSync(join(STATIC_DIR, rel));
    const hash = createHash('sha384').update(body).digest('base64');
    const version = hash.slice(0, 10).replace(/[^A-Za-z0-9]/g, '');
    return { url: `/static/${rel}?v=${version}`, integrity: `sha384-${hash}` };
  };
  return { css: make('css/shop.css'), js: make('js/shop.js') };
}
