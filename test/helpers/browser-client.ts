/**
 * A small HTTP client that behaves like a browser without JavaScript: it keeps cookies per origin,
 * reads the CSRF token from the last page, submits forms and follows redirects across origins
 * (shop ⇄ payment provider) the way a buyer's browser does.
 */
export interface Page {
  status: number;
  url: string;
  html: string;
  headers: Headers;
}

export class Client {
  private readonly jar = new Map<string, Map<string, string>>();
  last: Page | null = null;

  constructor(readonly base: string) {}

  private cookieHeader(url: URL): string {
    const jar = this.jar.get(url.host);
    return jar ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
  }

  private store(url: URL, headers: Headers): void {
    const jar = this.jar.get(url.host) ?? new Map<string, string>();
    for (const line of headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      jar.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    this.jar.set(url.host, jar);
  }

  setCookie(name: string, value: string, host = new URL(this.base).host): void {
    const jar = this.jar.get(host) ?? new Map<string, string>();
    jar.set(name, value);
    this.jar.set(host, jar);
  }

  cookie(name: string, host = new URL(this.base).host): string | undefined {
    return this.jar.get(host)?.get(name);
  }

  async request(path: string, init: { method?: string; form?: Record<string, string>; body?: string; headers?: Record<string, string>; follow?: boolean } = {}): Promise<Page> {
    let url = new URL(path, this.last?.url ?? this.base);
    let method = init.method ?? (init.form ? 'POST' : 'GET');
    let body: string | undefined = init.form ? new URLSearchParams(init.form).toString() : init.body;
    const headers: Record<string, string> = { accept: 'text/html', ...init.headers };
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    for (let hops = 0; hops < 10; hops++) {
      const res = await fetch(url, { method, body, headers: { ...headers, cookie: this.cookieHeader(url) }, redirect: 'manual' });
      this.store(url, res.headers);
      const location = res.headers.get('location');
      if (location && res.status >= 300 && res.status < 400 && init.follow !== false) {
        url = new URL(location, url);
        method = 'GET';
        body = undefined;
        delete headers['content-type'];
        await res.arrayBuffer();
        continue;
      }
      const page = { status: res.status, url: url.href, html: await res.text(), headers: res.headers };
      this.last = page;
      return page;
    }
    throw new Error('too many redirects');
  }

  get(path: string): Promise<Page> {
    return this.request(path);
  }

  /** A download (PDF, CSV) as bytes, with this client's cookies; no redirects followed. */
  async download(path: string): Promise<{ status: number; headers: Headers; body: Buffer }> {
    const url = new URL(path, this.last?.url ?? this.base);
    const res = await fetch(url, { headers: { cookie: this.cookieHeader(url) }, redirect: 'manual' });
    this.store(url, res.headers);
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  }

  /** The CSRF token of the last page. */
  csrf(): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(this.last?.html ?? '');
    if (!m) throw new Error(`no CSRF token on ${this.last?.url}`);
    return m[1]!;
  }

  /** Posts a form with the last page's CSRF token. */
  post(path: string, form: Record<string, string>, opts: { follow?: boolean } = {}): Promise<Page> {
    return this.request(path, { form: { _csrf: this.csrf(), ...form }, follow: opts.follow });
  }

  /** All hidden inputs of the first form posting to `action` on the last page. */
  hiddenFields(action: string): Record<string, string> {
    const html = this.last?.html ?? '';
    const start = html.indexOf(`action="${action}"`);
    if (start < 0) throw new Error(`no form posting to ${action}`);
    const end = html.indexOf('</form>', start);
    const out: Record<string, string> = {};
    for (const m of html.slice(start, end).matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
      out[m[1]!] = decodeEntities(m[2]!);
    }
    return out;
  }
}

export function decodeEntities(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** A guest's checkout form, filled like a person would. */
export function guestForm(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    orderer_name: '山田 太郎',
    orderer_kana: 'ヤマダ タロウ',
    orderer_postal: '100-0001',
    orderer_prefecture: '東京都',
    orderer_address1: '千代田区千代田1-1',
    orderer_address2: 'まもりビル101',
    orderer_email: 'taro@example.jp',
    orderer_phone: '03-1234-5678',
    orderer_fax: '03-1234-5679',
    ship_to: 'orderer',
    ship_name: '', ship_kana: '', ship_postal: '', ship_prefecture: '', ship_address1: '', ship_address2: '', ship_phone: '',
    delivery_date: '',
    delivery_slot: '',
    payment_method: 'bank_transfer',
    note: '',
    ...overrides,
  };
}
