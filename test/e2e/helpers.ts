import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN_COOKIE } from '../../src/admin/plugin.js';
import { signedInStaff } from '../helpers/admin.js';
import { Client } from '../helpers/browser-client.js';
import type { TestShop } from '../helpers/shop.js';

/**
 * Helpers for the end-to-end tests: a real Chromium (Debian's, driven by playwright-core), and the
 * `.eml` files the outbox worker writes when no SMTP server is configured.
 */

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or `false` when they can (for node:test's `skip`). */
export const skip: string | false = existsSync(CHROMIUM_PATH)
  ? false
  : `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`;

/** Screenshots and other artefacts (gitignored). */
export const RESULTS_DIR = join(process.cwd(), 'test-results');

export interface BrowserHandle {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Launches Chromium headless. We run as root in a container, hence no sandbox; the background
 * networking flags stop Chromium from calling hosts it cannot reach (and from slowing the tests).
 */
export async function launchBrowser(opts: { extraArgs?: string[] } = {}): Promise<BrowserHandle> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(opts.extraArgs ?? []),
    ],
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}

/** A fresh browser profile (cookies, storage) in Japanese, like a new visitor's. */
export async function newVisitor(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo', viewport: { width: 1100, height: 900 } });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  const page = await context.newPage();
  return { context, page };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// --- Mail -------------------------------------------------------------------------------------

export interface Mail {
  file: string;
  /** Header names in lower case, values unfolded and with RFC 2047 encoded words decoded. */
  headers: Record<string, string>;
  subject: string;
  to: string;
  /** The decoded text body. */
  text: string;
}

function decodeCharset(bytes: Buffer, charset: string): string {
  try {
    return new TextDecoder(charset || 'utf-8').decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

/** Quoted-printable (RFC 2045 §6.7) to bytes: soft line breaks and `=XX` escapes. */
export function decodeQuotedPrintable(body: string): Buffer {
  const s = body.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const hex = s.slice(i + 1, i + 3);
    if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes);
}

/** RFC 2047 encoded words (`=?UTF-8?B?…?=`, `=?UTF-8?Q?…?=`); whitespace between two words is dropped. */
export function decodeEncodedWords(value: string): string {
  const word = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g;
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?[^?]+\?[BbQq]\?[^?]*\?=)/g, '$1')
    .replace(word, (_m, charset: string, enc: string, data: string) => {
      const bytes = enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64') : decodeQuotedPrintable(data.replace(/_/g, ' '));
      return decodeCharset(bytes, charset);
    });
}

function splitHeaders(raw: string): { headers: Record<string, string>; body: string } {
  const text = raw.replace(/\r\n/g, '\n');
  const end = text.indexOf('\n\n');
  const head = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? '' : text.slice(end + 2);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function param(header: string | undefined, name: string): string | undefined {
  const m = new RegExp(`${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(header ?? '');
  return m ? (m[1] ?? m[2]) : undefined;
}

/** The text of one MIME entity: the first text/plain part of a multipart, decoded. */
function decodeEntity(headers: Record<string, string>, body: string): string {
  const type = headers['content-type'] ?? 'text/plain; charset=us-ascii';
  if (/^multipart\//i.test(type)) {
    const boundary = param(type, 'boundary');
    if (!boundary) return body;
    const parts = body.split(`--${boundary}`).slice(1).filter((p) => !p.startsWith('--'));
    const decoded = parts.map((p) => splitHeaders(p.replace(/^\n/, '')));
    const chosen = decoded.find((p) => /^text\/plain/i.test(p.headers['content-type'] ?? 'text/plain')) ?? decoded[0];
    return chosen ? decodeEntity(chosen.headers, chosen.body) : '';
  }
  const charset = param(type, 'charset') ?? 'us-ascii';
  const cte = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  const bytes =
    cte === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64')
      : cte === 'quoted-printable' ? decodeQuotedPrintable(body)
        : Buffer.from(body, 'utf8');
  return decodeCharset(bytes, charset);
}

/** Parses an `.eml` file as nodemailer writes it (single part or multipart; base64, QP, 7bit/8bit). */
export function parseEml(file: string): Mail {
  const { headers: raw, body } = splitHeaders(readFileSync(file, 'utf8'));
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) headers[k] = decodeEncodedWords(v);
  return { file, headers, subject: headers.subject ?? '', to: headers.to ?? '', text: decodeEntity(raw, body) };
}

/**
 * Waits until an `.eml` file in `dir` (subject, recipient or body) matches `pattern`, and returns it
 * decoded. The outbox worker polls every second, so this polls a little faster.
 */
export async function waitForMail(dir: string, pattern: RegExp, opts: { timeoutMs?: number; to?: string } = {}): Promise<Mail> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.eml')).sort() : [];
    for (const f of files) {
      let mail: Mail;
      try {
        mail = parseEml(join(dir, f));
      } catch {
        continue; // renamed away between listing and reading
      }
      if (opts.to && !mail.to.includes(opts.to)) continue;
      if (pattern.test(`${mail.subject}\n${mail.text}`)) return mail;
    }
    if (Date.now() > deadline) {
      throw new Error(`no mail matching ${pattern}${opts.to ? ` to ${opts.to}` : ''} in ${dir} after ${opts.timeoutMs ?? 10_000} ms (${files.length} files)`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A browser page of a staff member already signed in with 2FA (signing in itself is the admin
 * journey's test), with the page's script errors and CSP/Trusted Types violations collected and
 * confirmation dialogs accepted.
 */
export async function staffPage(browser: Browser, shop: TestShop, email: string): Promise<{ context: BrowserContext; page: Page; scriptErrors: string[]; cspViolations: string[] }> {
  const { token } = await signedInStaff(shop.shop.services, new Client(shop.url), 'staff', email);
  const { context, page } = await newVisitor(browser);
  await context.addCookies([{ name: ADMIN_COOKIE, value: token, url: `${shop.url}/admin` }]);
  const scriptErrors: string[] = [];
  page.on('pageerror', (err) => scriptErrors.push(err.message));
  page.on('dialog', (d) => void d.accept());
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Trusted Type/i.test(m.text())) cspViolations.push(m.text());
  });
  return { context, page, scriptErrors, cspViolations };
}
