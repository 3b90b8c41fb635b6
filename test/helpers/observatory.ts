/**
 * The MDN HTTP Observatory's scoring, re-implemented for the tests (the official scanner,
 * `@mdn/mdn-http-observatory`, cannot be installed here: its dependencies need native builds).
 *
 * Sources (rules and score modifiers as of the observatory's 2024–2025 code):
 * - Grading and modifiers: https://github.com/mdn/mdn-http-observatory/blob/main/src/grader/charts.js
 *   (SCORE_TABLE, GRADE_CHART, MINIMUM_SCORE_FOR_EXTRA_CREDIT = 90) and
 *   https://github.com/mdn/mdn-http-observatory/blob/main/src/scanner/index.js (baseline 100; bonuses
 *   count only when the score without them is ≥ 90); the same table in prose:
 *   https://github.com/mozilla/http-observatory/blob/main/httpobs/docs/scoring.md
 * - Each test: https://github.com/mdn/mdn-http-observatory/tree/main/src/analyzer/tests
 *   (csp.js with ../cspParser.js, cookies.js, cors.js, cross-origin-resource-policy.js,
 *   redirection.js, referrer-policy.js, strict-transport-security.js, subresource-integrity.js,
 *   x-content-type-options.js, x-frame-options.js)
 *
 * Transport. The observatory scans a site over HTTPS and HTTP. A test shop speaks plain HTTP, so in
 * `http` mode the checks that only exist over TLS are *not applicable* (modifier 0, marked so):
 * HSTS, the HTTP→HTTPS redirection, and the cookies' `Secure` flag (a browser drops Secure cookies
 * set over http). In `https` mode (the shop with an https PUBLIC_URL, i.e. behind a TLS proxy) HSTS
 * and `Secure` are scored with the observatory's rules; the redirection from http:// is the TLS
 * proxy's job and stays not applicable (the shop never sees port 80). Nothing else is relaxed.
 */

export type Transport = 'http' | 'https';

export interface ObservatoryResponse {
  status: number;
  /** Header name (any case) → value(s). */
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface ObservatoryInput {
  transport: Transport;
  /** The page scanned (the observatory's "auto" response). */
  page: ObservatoryResponse;
  /** Every Set-Cookie line the scan saw (the page, robots.txt …): the observatory's cookie jar. */
  setCookies: string[];
  /** The answer to `OPTIONS page` with `Origin` and `Access-Control-Request-Method: GET`, or null. */
  cors: ObservatoryResponse | null;
  /** The Origin sent with the CORS request. */
  corsOrigin?: string;
}

export interface TestResult {
  name: string;
  result: string;
  modifier: number;
  pass: boolean;
  applicable: boolean;
}

export interface Scan {
  score: number;
  grade: string;
  tests: TestResult[];
}

// charts.js SCORE_TABLE (the modifiers the tests below can give).
const MODIFIERS: Record<string, number> = {
  'csp-implemented-with-no-unsafe-default-src-none': 10,
  'csp-implemented-with-no-unsafe': 5,
  'csp-implemented-with-unsafe-inline-in-style-src-only': 0,
  'csp-implemented-with-insecure-scheme-in-passive-content-only': -10,
  'csp-implemented-with-unsafe-eval': -10,
  'csp-implemented-with-unsafe-inline': -20,
  'csp-implemented-with-insecure-scheme': -20,
  'csp-implemented-but-duplicate-directives': 0,
  'csp-header-invalid': -25,
  'csp-not-implemented': -25,
  'csp-not-implemented-but-reporting-enabled': -25,
  'cookies-secure-with-httponly-sessions-and-samesite': 5,
  'cookies-secure-with-httponly-sessions': 0,
  'cookies-not-found': 0,
  'cookies-without-secure-flag-but-protected-by-hsts': -5,
  'cookies-session-without-secure-flag-but-protected-by-hsts': -10,
  'cookies-without-secure-flag': -20,
  'cookies-samesite-flag-invalid': -20,
  'cookies-anticsrf-without-samesite-flag': -20,
  'cookies-session-without-httponly-flag': -30,
  'cookies-session-without-secure-flag': -40,
  'cross-origin-resource-sharing-not-implemented': 0,
  'cross-origin-resource-sharing-implemented-with-public-access': 0,
  'cross-origin-resource-sharing-implemented-with-restricted-access': 0,
  'cross-origin-resource-sharing-implemented-with-universal-access': -50,
  'referrer-policy-private': 5,
  'referrer-policy-not-implemented': 0,
  'referrer-policy-unsafe': -5,
  'referrer-policy-header-invalid': -5,
  'hsts-implemented-max-age-at-least-six-months': 0,
  'hsts-implemented-max-age-less-than-six-months': -10,
  'hsts-not-implemented': -20,
  'hsts-header-invalid': -20,
  'sri-implemented-and-all-scripts-loaded-securely': 5,
  'sri-implemented-and-external-scripts-loaded-securely': 5,
  'sri-not-implemented-response-not-html': 0,
  'sri-not-implemented-but-no-scripts-loaded': 0,
  'sri-not-implemented-but-all-scripts-loaded-from-secure-origin': 0,
  'sri-not-implemented-but-external-scripts-loaded-securely': -5,
  'sri-implemented-but-external-scripts-not-loaded-securely': -20,
  'sri-not-implemented-and-external-scripts-not-loaded-securely': -50,
  'x-content-type-options-nosniff': 0,
  'x-content-type-options-not-implemented': -5,
  'x-content-type-options-header-invalid': -5,
  'x-frame-options-implemented-via-csp': 5,
  'x-frame-options-sameorigin-or-deny': 0,
  'x-frame-options-allow-from-origin': 0,
  'x-frame-options-not-implemented': -20,
  'x-frame-options-header-invalid': -20,
  'corp-header-invalid': -5,
  'corp-implemented-with-cross-origin': 0,
  'corp-implemented-with-same-origin': 10,
  'corp-implemented-with-same-site': 10,
  'corp-not-implemented': 0,
  'not-applicable': 0,
};

// charts.js GRADE_CHART: score rounded down to a multiple of 5, capped at 100.
const GRADES: [number, string][] = [
  [100, 'A+'], [90, 'A'], [85, 'A-'], [80, 'B+'], [70, 'B'], [65, 'B-'], [60, 'C+'], [50, 'C'], [45, 'C-'], [40, 'D+'], [30, 'D'], [25, 'D-'], [0, 'F'],
];

export function gradeFor(score: number): string {
  const s = Math.min(Math.max(score, 0) - (Math.max(score, 0) % 5), 100);
  return GRADES.find(([min]) => s >= min)![1];
}

function headerValues(r: ObservatoryResponse | null, name: string): string[] {
  if (!r) return [];
  const found: string[] = [];
  for (const [k, v] of Object.entries(r.headers)) {
    if (k.toLowerCase() !== name || v === undefined) continue;
    found.push(...(Array.isArray(v) ? v : [v]));
  }
  return found;
}
const first = (r: ObservatoryResponse | null, name: string) => headerValues(r, name)[0] ?? null;

function isHtml(r: ObservatoryResponse): boolean {
  const type = (first(r, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  return type === '' || type === 'text/html' || type === 'application/xhtml+xml';
}

/** `<meta http-equiv>` values in the page (the observatory reads CSP and Referrer-Policy there too). */
function httpEquiv(r: ObservatoryResponse, name: string): string[] {
  if (!isHtml(r)) return [];
  const out: string[] = [];
  for (const m of r.body.matchAll(/<meta\b[^>]*>/gi)) {
    const tag = m[0];
    const equiv = /http-equiv\s*=\s*["']?([^"'\s>]+)/i.exec(tag)?.[1];
    const content = /content\s*=\s*"([^"]*)"|content\s*=\s*'([^']*)'/i.exec(tag);
    if (equiv?.toLowerCase() === name && content) out.push(content[1] ?? content[2] ?? '');
  }
  return out;
}

// --- CSP (csp.js + cspParser.js) -----------------------------------------------------------------

const DANGEROUSLY_BROAD = new Set(['ftp:', 'http:', 'https:', '*', 'http://*', 'http://*.*', 'https://*', 'https://*.*']);
const UNSAFE_INLINE = new Set(["'unsafe-inline'", 'data:']);
const BROAD_OR_INLINE = new Set([...DANGEROUSLY_BROAD, ...UNSAFE_INLINE]);
const NONCE_HASH = ["'sha256-", "'sha384-", "'sha512-", "'nonce-"];

/** cspParser.js parseCsp for one or more policies; throws on a repeated directive (except report-uri/report-to). */
export function parseCspForObservatory(policies: string[]): { csp: Map<string, Set<string>>; duplicates: boolean } {
  const csp = new Map<string, Set<string>>();
  let duplicates = false;
  for (const [index, raw] of policies.entries()) {
    const policy = raw.replace(/[\r\n]/g, '').trim();
    if (policy.length < 'img-src'.length - 1) throw new Error(`invalid policy: ${policy}`);
    const seen = new Set<string>();
    for (const part of policy.split(';')) {
      const [d, ...values] = part.trim().split(/\s+/);
      if (!d) continue;
      const directive = d.toLowerCase();
      if (seen.has(directive)) {
        if (directive === 'report-uri' || directive === 'report-to') duplicates = true;
        else throw new Error(`duplicate directive ${directive}`);
        continue;
      }
      seen.add(directive);
      const sources = values.length ? values.map((v) => v.trim().toLowerCase()) : directive.endsWith('-src') ? ["'none'"] : [];
      if (index === 0 || !csp.has(directive)) csp.set(directive, new Set(sources));
      else {
        // A source has to be allowed by both policies (simplified: exact intersection).
        const prev = csp.get(directive)!;
        const both = [...prev].filter((s) => sources.includes(s));
        csp.set(directive, new Set(both.length ? both : ["'none'"]));
      }
    }
  }
  return { csp, duplicates };
}

function cspTest(input: ObservatoryInput): { result: string; pass: boolean; frameAncestors: boolean } {
  const page = input.page;
  const http = headerValues(page, 'content-security-policy').flatMap((v) => v.split(',').map((s) => s.trim()));
  const meta = httpEquiv(page, 'content-security-policy').flatMap((v) => v.split(',').map((s) => s.trim()));
  let parsed: ReturnType<typeof parseCspForObservatory>;
  try {
    parsed = parseCspForObservatory([...http, ...meta]);
  } catch {
    return { result: 'csp-header-invalid', pass: false, frameAncestors: false };
  }
  if (parsed.csp.size === 0) {
    const reportOnly = first(page, 'content-security-policy-report-only');
    return { result: reportOnly ? 'csp-not-implemented-but-reporting-enabled' : 'csp-not-implemented', pass: false, frameAncestors: false };
  }
  const csp = parsed.csp;
  const https = input.transport === 'https';
  const get = (d: string) => csp.get(d);
  const scriptSrc = new Set(get('script-src') ?? get('default-src') ?? ['*']);
  const styleSrc = new Set(get('style-src') ?? get('default-src') ?? ['*']);
  const objectSrc = new Set(get('object-src') ?? get('default-src') ?? ['*']);
  for (const list of [scriptSrc, styleSrc]) {
    if ([...list].some((s) => NONCE_HASH.some((p) => s.startsWith(p))) && list.has("'unsafe-inline'")) list.delete("'unsafe-inline'");
  }
  let result: string | null = null;
  if ([...scriptSrc].some((s) => NONCE_HASH.some((p) => s.startsWith(p))) && scriptSrc.has("'strict-dynamic'")) {
    for (const s of [...scriptSrc]) if ([...DANGEROUSLY_BROAD].some((b) => s.startsWith(b)) || s === "'self'" || s === "'unsafe-inline'") scriptSrc.delete(s);
  } else if (scriptSrc.has("'strict-dynamic'")) {
    result = 'csp-header-invalid';
  }
  const passive = new Set(['img-src', 'media-src']);
  const active = [...csp.entries()].filter(([d]) => !passive.has(d) && d !== 'script-src').flatMap(([, v]) => [...v]).concat([...scriptSrc]);
  const passiveSources = [...passive].flatMap((d) => [...(get(d) ?? get('default-src') ?? [])]);
  const set = (r: string) => {
    result ??= r;
  };
  if ([...scriptSrc].some((s) => BROAD_OR_INLINE.has(s)) || [...objectSrc].some((s) => DANGEROUSLY_BROAD.has(s))) set('csp-implemented-with-unsafe-inline');
  if (https && active.some((s) => s.startsWith('http:') || s.startsWith('ftp:'))) set('csp-implemented-with-insecure-scheme');
  if (scriptSrc.has("'unsafe-eval'") || styleSrc.has("'unsafe-eval'")) set('csp-implemented-with-unsafe-eval');
  if (https && passiveSources.some((s) => s.startsWith('http:') || s.startsWith('ftp:'))) set('csp-implemented-with-insecure-scheme-in-passive-content-only');
  if ([...styleSrc].some((s) => BROAD_OR_INLINE.has(s))) set('csp-implemented-with-unsafe-inline-in-style-src-only');
  const defaultSrc = get('default-src');
  if (defaultSrc?.has("'none'") && defaultSrc.size === 1) set('csp-implemented-with-no-unsafe-default-src-none');
  else set('csp-implemented-with-no-unsafe');
  const passing = ['csp-implemented-with-no-unsafe', 'csp-implemented-with-no-unsafe-default-src-none', 'csp-implemented-with-unsafe-inline-in-style-src-only', 'csp-implemented-with-insecure-scheme-in-passive-content-only'];
  const pass = passing.includes(result!);
  // A passing policy with a repeated report-uri/report-to still passes, under its own name (modifier 0).
  if (pass && parsed.duplicates) result = 'csp-implemented-but-duplicate-directives';
  // x-frame-options.js reads `frame-ancestors` from the parsed policy data (header and meta together).
  return { result: result!, pass, frameAncestors: csp.has('frame-ancestors') };
}

// --- Cookies (cookies.js) -----------------------------------------------------------------------

interface Cookie {
  name: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite: string | null;
}

export function parseSetCookie(line: string): Cookie {
  const [pair, ...attrs] = line.split(';');
  const name = pair!.slice(0, pair!.indexOf('=') < 0 ? undefined : pair!.indexOf('=')).trim();
  const c: Cookie = { name, secure: false, httpOnly: false, sameSite: null };
  for (const a of attrs) {
    const [k, v] = a.trim().split('=');
    const key = (k ?? '').trim().toLowerCase();
    if (key === 'secure') c.secure = true;
    else if (key === 'httponly') c.httpOnly = true;
    else if (key === 'samesite') c.sameSite = (v ?? '').trim() || null;
  }
  return c;
}

function invalidSameSite(line: string): boolean {
  return line.split(';').slice(1).some((p) => {
    const [k, v] = p.trim().split('=');
    return (k ?? '').trim().toLowerCase() === 'samesite' && (!v || !['lax', 'strict', 'none'].includes(v.trim().toLowerCase()));
  });
}

const COOKIE_GOODNESS = [
  'cookies-without-secure-flag-but-protected-by-hsts', 'cookies-without-secure-flag', 'cookies-session-without-secure-flag-but-protected-by-hsts',
  'cookies-samesite-flag-invalid', 'cookies-anticsrf-without-samesite-flag', 'cookies-session-without-httponly-flag', 'cookies-session-without-secure-flag',
];
const worse = (next: string, current: string | null) => (current === null || COOKIE_GOODNESS.indexOf(next) > COOKIE_GOODNESS.indexOf(current) ? next : current);

function cookiesTest(input: ObservatoryInput, hsts: boolean): { result: string; pass: boolean } {
  let result: string | null = null;
  // Over plain HTTP the Secure flag cannot apply (not applicable); over TLS it is scored.
  const secureApplies = input.transport === 'https';
  for (const line of input.setCookies) if (invalidSameSite(line)) result = worse('cookies-samesite-flag-invalid', result);
  const cookies = input.setCookies.map(parseSetCookie).filter((c) => c.name && c.name !== 'heroku-session-affinity');
  if (cookies.length === 0) return { result: 'cookies-not-found', pass: true };
  let missingSameSite = false;
  for (const c of cookies) {
    const lower = c.name.toLowerCase();
    const session = lower.includes('login') || lower.includes('sess');
    const anticsrf = lower.includes('csrf');
    const secure = c.secure || !secureApplies;
    if (!secure && c.sameSite?.toLowerCase() === 'none') result = worse('cookies-samesite-flag-invalid', result);
    if (!secure) result = worse(hsts ? 'cookies-without-secure-flag-but-protected-by-hsts' : 'cookies-without-secure-flag', result);
    if (anticsrf && !c.sameSite) result = worse('cookies-anticsrf-without-samesite-flag', result);
    if (session && !secure) result = worse(hsts ? 'cookies-session-without-secure-flag-but-protected-by-hsts' : 'cookies-session-without-secure-flag', result);
    if (session && !c.httpOnly) result = worse('cookies-session-without-httponly-flag', result);
    if (!c.sameSite) missingSameSite = true;
  }
  result ??= missingSameSite ? 'cookies-secure-with-httponly-sessions' : 'cookies-secure-with-httponly-sessions-and-samesite';
  return { result, pass: ['cookies-not-found', 'cookies-secure-with-httponly-sessions-and-samesite', 'cookies-secure-with-httponly-sessions'].includes(result) };
}

// --- The other tests ----------------------------------------------------------------------------

function corsTest(input: ObservatoryInput): { result: string; pass: boolean } {
  const acao = first(input.cors, 'access-control-allow-origin');
  if (!input.cors || !acao) return { result: 'cross-origin-resource-sharing-not-implemented', pass: true };
  const value = acao.slice(0, 256).trim().toLowerCase();
  if (value === '*') return { result: 'cross-origin-resource-sharing-implemented-with-public-access', pass: true };
  const creds = (first(input.cors, 'access-control-allow-credentials') ?? '').trim().toLowerCase() === 'true';
  if (input.corsOrigin && input.corsOrigin === acao && creds) return { result: 'cross-origin-resource-sharing-implemented-with-universal-access', pass: false };
  return { result: 'cross-origin-resource-sharing-implemented-with-restricted-access', pass: true };
}

function referrerTest(input: ObservatoryInput): { result: string; pass: boolean } {
  const good = ['no-referrer', 'same-origin', 'strict-origin', 'strict-origin-when-cross-origin'];
  const bad = ['origin', 'origin-when-cross-origin', 'unsafe-url', 'no-referrer-when-downgrade'];
  const values = [...headerValues(input.page, 'referrer-policy'), ...httpEquiv(input.page, 'referrer')];
  if (values.length === 0) return { result: 'referrer-policy-not-implemented', pass: true };
  const policy = values.join(', ').split(',').map((p) => p.trim().toLowerCase()).filter((p) => good.includes(p) || bad.includes(p)).reverse()[0] ?? '';
  if (good.includes(policy)) return { result: 'referrer-policy-private', pass: true };
  return { result: bad.includes(policy) ? 'referrer-policy-unsafe' : 'referrer-policy-header-invalid', pass: false };
}

function hstsTest(input: ObservatoryInput): { result: string; pass: boolean; applicable: boolean } {
  if (input.transport === 'http') return { result: 'not-applicable', pass: true, applicable: false };
  const header = first(input.page, 'strict-transport-security');
  if (!header) return { result: 'hsts-not-implemented', pass: false, applicable: true };
  const value = header.slice(0, 1024);
  if (value.includes(',')) return { result: 'hsts-header-invalid', pass: false, applicable: true };
  let maxAge: number | null = null;
  for (const p of value.split(';').map((x) => x.trim().toLowerCase())) if (p.startsWith('max-age=')) maxAge = Number.parseInt(p.slice(8, 128), 10);
  if (maxAge === null || Number.isNaN(maxAge)) return { result: 'hsts-header-invalid', pass: false, applicable: true };
  // 15768000 is six months; the observatory accepts 15552000 ("a white lie").
  return maxAge < 15_552_000 ? { result: 'hsts-implemented-max-age-less-than-six-months', pass: false, applicable: true } : { result: 'hsts-implemented-max-age-at-least-six-months', pass: true, applicable: true };
}

const SRI_GOODNESS = [
  'sri-implemented-and-all-scripts-loaded-securely', 'sri-implemented-and-external-scripts-loaded-securely', 'sri-implemented-but-external-scripts-not-loaded-securely',
  'sri-not-implemented-but-external-scripts-loaded-securely', 'sri-not-implemented-and-external-scripts-not-loaded-securely', 'sri-not-implemented-response-not-html',
];
const sriWorse = (next: string, current: string | null) => (current === null || SRI_GOODNESS.indexOf(next) > SRI_GOODNESS.indexOf(current) ? next : current);

/** Registrable domain, roughly (last two labels): enough for the shop's own hosts. */
const siteOf = (host: string) => host.split('.').slice(-2).join('.');

function sriTest(input: ObservatoryInput, pageHost: string): { result: string; pass: boolean } {
  const passing = ['sri-implemented-and-all-scripts-loaded-securely', 'sri-implemented-and-external-scripts-loaded-securely', 'sri-not-implemented-response-not-html', 'sri-not-implemented-but-all-scripts-loaded-from-secure-origin', 'sri-not-implemented-but-no-scripts-loaded'];
  if (!isHtml(input.page)) return { result: 'sri-not-implemented-response-not-html', pass: true };
  const scripts = [...input.page.body.matchAll(/<script\b([^>]*)>/gi)].map((m) => m[1] ?? '');
  let result: string | null = null;
  let foreign = false;
  for (const attrs of scripts) {
    const src = /\ssrc\s*=\s*"([^"]*)"|\ssrc\s*=\s*'([^']*)'/i.exec(attrs);
    if (!src) continue;
    const url = src[1] ?? src[2] ?? '';
    const integrity = /\sintegrity\s*=/i.test(attrs);
    const relativeProtocol = /^\/\/[^/]/.test(url);
    const full = /^https?:\/\//i.test(url);
    const relativeOrigin = !relativeProtocol && !full;
    const sameSite = relativeProtocol || relativeOrigin || (full && siteOf(new URL(url).hostname) === siteOf(pageHost));
    const secureOrigin = relativeOrigin || (sameSite && !relativeProtocol);
    const secureScheme = (full && new URL(url).protocol === 'https:') || (relativeOrigin && input.transport === 'https');
    if (!secureOrigin) {
      foreign = true;
      if (integrity && !secureScheme) result = sriWorse('sri-implemented-but-external-scripts-not-loaded-securely', result);
      else if (!integrity && secureScheme) result = sriWorse('sri-not-implemented-but-external-scripts-loaded-securely', result);
      else if (!integrity) result = sriWorse('sri-not-implemented-and-external-scripts-not-loaded-securely', result);
    } else if (integrity && secureScheme && !result) {
      result = 'sri-implemented-and-all-scripts-loaded-securely';
    }
  }
  if (scripts.length === 0) result = 'sri-not-implemented-but-no-scripts-loaded';
  else result ??= foreign ? 'sri-implemented-and-external-scripts-loaded-securely' : 'sri-not-implemented-but-all-scripts-loaded-from-secure-origin';
  return { result, pass: passing.includes(result) };
}

function xctoTest(input: ObservatoryInput): { result: string; pass: boolean } {
  const h = first(input.page, 'x-content-type-options');
  if (!h) return { result: 'x-content-type-options-not-implemented', pass: false };
  return h.slice(0, 256).trim().toLowerCase() === 'nosniff' ? { result: 'x-content-type-options-nosniff', pass: true } : { result: 'x-content-type-options-header-invalid', pass: false };
}

function xfoTest(input: ObservatoryInput, cspHasFrameAncestors: boolean): { result: string; pass: boolean } {
  const h = first(input.page, 'x-frame-options')?.slice(0, 1024).trim().toLowerCase();
  let result = !h ? 'x-frame-options-not-implemented' : ['deny', 'sameorigin'].includes(h) ? 'x-frame-options-sameorigin-or-deny' : h.startsWith('allow-from') ? 'x-frame-options-allow-from-origin' : 'x-frame-options-header-invalid';
  if (cspHasFrameAncestors) result = 'x-frame-options-implemented-via-csp';
  return { result, pass: ['x-frame-options-allow-from-origin', 'x-frame-options-sameorigin-or-deny', 'x-frame-options-implemented-via-csp'].includes(result) };
}

function corpTest(input: ObservatoryInput): { result: string; pass: boolean } {
  const h = first(input.page, 'cross-origin-resource-policy') ?? httpEquiv(input.page, 'cross-origin-resource-policy').at(-1) ?? null;
  if (!h) return { result: 'corp-not-implemented', pass: true };
  const v = h.slice(0, 256).trim().toLowerCase();
  const result = v === 'same-site' ? 'corp-implemented-with-same-site' : v === 'same-origin' ? 'corp-implemented-with-same-origin' : v === 'cross-origin' ? 'corp-implemented-with-cross-origin' : 'corp-header-invalid';
  return { result, pass: result !== 'corp-header-invalid' };
}

/** Scores one page the way the observatory's scanner does (scanner/index.js). */
export function observatoryScan(input: ObservatoryInput, pageHost = 'shop.example'): Scan {
  const hsts = hstsTest(input);
  const csp = cspTest(input);
  const raw: { name: string; r: { result: string; pass: boolean }; applicable?: boolean }[] = [
    { name: 'content-security-policy', r: csp },
    { name: 'cookies', r: cookiesTest(input, hsts.applicable && hsts.pass) },
    { name: 'cross-origin-resource-sharing', r: corsTest(input) },
    // The shop never answers on port 80 itself: redirection is the TLS proxy's job (docs/security.md).
    { name: 'redirection', r: { result: 'not-applicable', pass: true }, applicable: false },
    { name: 'referrer-policy', r: referrerTest(input) },
    { name: 'strict-transport-security', r: hsts, applicable: hsts.applicable },
    { name: 'subresource-integrity', r: sriTest(input, pageHost) },
    { name: 'x-content-type-options', r: xctoTest(input) },
    { name: 'x-frame-options', r: xfoTest(input, csp.frameAncestors) },
    { name: 'cross-origin-resource-policy', r: corpTest(input) },
  ];
  const tests: TestResult[] = raw.map(({ name, r, applicable }) => {
    const modifier = MODIFIERS[r.result];
    if (modifier === undefined) throw new Error(`no modifier for ${r.result}`);
    return { name, result: r.result, modifier, pass: r.pass, applicable: applicable ?? true };
  });
  const withExtra = 100 + tests.reduce((s, t) => s + t.modifier, 0);
  const uncurved = 100 + tests.reduce((s, t) => s + Math.min(t.modifier, 0), 0);
  const score = Math.max(uncurved >= 90 ? withExtra : uncurved, 0);
  return { score, grade: gradeFor(score), tests };
}
