/** How the benches talk to the shop as a browser would: headers, the session cookie, the pages to hit. */

export const SESSION_COOKIE = 'mamori_sid';

export const BROWSER_HEADERS: Record<string, string> = {
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'ja,en-US;q=0.8,en;q=0.6',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 mamori-bench',
};

/** A failure of the benchmark set-up itself (as opposed to a missed target). */
export class BenchError extends Error {}

export interface Fetched {
  body: string;
  bytes: number;
  setCookies: string[];
  contentType: string;
}

/** A GET as a browser would send it; anything but 200 is a BenchError. */
export async function get(url: string, cookie?: string): Promise<Fetched> {
  const res = await fetch(url, { headers: { ...BROWSER_HEADERS, ...(cookie ? { cookie } : {}) }, redirect: 'manual' });
  const buf = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new BenchError(`GET ${url}: status ${res.status}`);
  return { body: buf.toString('utf8'), bytes: buf.length, setCookies: res.headers.getSetCookie(), contentType: res.headers.get('content-type') ?? '' };
}

export interface StorefrontPages {
  /** `mamori_sid=<token>`, to send back as a returning visitor. */
  cookie: string;
  productPath: string;
  categoryPath: string;
  product: Fetched;
  category: Fetched;
}

/**
 * A first visit: `/products` sets the session cookie; the first product link and the first category
 * link on it are the pages to measure. Both are fetched once (with the cookie) for their sizes.
 */
export async function discoverPages(shopUrl: string): Promise<StorefrontPages> {
  const listing = await get(`${shopUrl}/products`);
  const cookie = listing.setCookies.map((c) => c.split(';')[0] ?? '').find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  if (!cookie) throw new BenchError(`GET /products set no ${SESSION_COOKIE} cookie`);
  const productSlug = /href="\/products\/([a-z0-9-]+)"/.exec(listing.body)?.[1];
  const categorySlug = /href="\/categories\/([a-z0-9-]+)"/.exec(listing.body)?.[1];
  if (!productSlug) throw new BenchError('no product link on /products');
  if (!categorySlug) throw new BenchError('no category link on /products');
  const productPath = `/products/${productSlug}`;
  const categoryPath = `/categories/${categorySlug}`;
  const product = await get(shopUrl + productPath, cookie);
  const category = await get(shopUrl + categoryPath, cookie);
  if (product.setCookies.some((c) => c.startsWith(`${SESSION_COOKIE}=`))) throw new BenchError('the shop did not take the session cookie back');
  return { cookie, productPath, categoryPath, product, category };
}
