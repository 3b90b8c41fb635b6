import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { ADMIN_COOKIE } from '../../src/admin/plugin.js';
import type { ScopeEntry } from '../../src/incidents/scope.js';
import { signedInStaff } from '../helpers/admin.js';
import { Client } from '../helpers/browser-client.js';
import { parseCsv } from '../helpers/csv.js';
import { pdfPages, pdfText } from '../helpers/pdf.js';
import { cliEnv, startTestShop, type TestShop } from '../helpers/shop.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { launchBrowser, newVisitor, screenshot, skip, type BrowserHandle } from './helpers.js';

/**
 * Issue 6's "done when", tried as a new user would: a generated 10-year history imported with the
 * command line, an incident known on 2024-07-17 through the police, the seed's exposure windows,
 * the counts (equal to `npx mamori incident scope --json`), the notices through a real SMTP server,
 * the letters PDF, the PPC 確報 draft and the public notice — in a real Chromium, as a member of
 * the security staff.
 *
 *   node --import tsx --test test/e2e/incident-response.test.ts
 */

const run = promisify(execFile);
const WINDOWS = { card: ['2021-05-26', '2024-07-19'], personal: ['2015-08-28', '2024-07-19'] } as const;
const n = (v: number) => v.toLocaleString('ja-JP');

interface ScopeJson {
  card: { persons: number; payments: number };
  personal: { persons: number };
  recipients: { persons: number };
  total: { persons: number };
}

async function count(page: Page, which: string): Promise<number> {
  return Number((await page.locator(`td[data-count="${which}"]`).innerText()).replace(/[^\d]/g, ''));
}

describe('incident response, from the police call to the public notice', { skip }, () => {
  let shop: TestShop;
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  let handle: BrowserHandle;
  const history = join(mkdtempSync(join(tmpdir(), 'mamori-history-')), 'history.jsonl');
  let generated: Promise<unknown>;

  before(async () => {
    // The demo history needs no shop: generated while the shop and the browser start.
    generated = run(process.execPath, ['bin/mamori.js', 'demo', 'history', '--customers', '300', '--orders', '1500', '--from', '2015-01-01', '--to', '2024-12-31', '--seed', '6', '--out', history]);
    sink = await startSmtpSink();
    // No mail pacing for the test (the default is 20 a second); the worker is driven by hand below.
    [shop, handle] = await Promise.all([
      startTestShop({ dialect: 'sqlite', workers: false, env: { SMTP_URL: sink.url, NOTICE_MAILS_PER_SECOND: '100000', NOTICE_LETTERS_PER_BATCH: '100000' } }),
      launchBrowser(),
    ]);
  });
  after(async () => {
    await handle?.close();
    await shop?.close();
    await sink?.close();
    rmSync(dirname(history), { recursive: true, force: true });
  });

  test('import a 10-year history, scope the seed windows, notify everyone once, file the drafts', async () => {
    const mamori = (args: string[]) => run(process.execPath, ['bin/mamori.js', ...args], { env: cliEnv(shop), maxBuffer: 64 * 1024 * 1024 });

    // 1. A 10-year history, generated and imported from the command line.
    await generated;
    const imported = await mamori(['import', history, '--json']);
    const report = JSON.parse(imported.stdout) as { inserted: { orders: number } };
    assert.equal(report.inserted.orders, 1500, 'every order of the history imported');

    // The scope as the command line computes it, with every affected person and recipient.
    const affected = join(shop.dataDir, 'affected.jsonl');
    const windowArgs = ['--card-from', WINDOWS.card[0], '--card-to', WINDOWS.card[1], '--personal-from', WINDOWS.personal[0], '--personal-to', WINDOWS.personal[1]];
    const cli = JSON.parse((await mamori(['incident', 'scope', ...windowArgs, '--json', '--out', affected])).stdout) as ScopeJson;
    const entries = readFileSync(affected, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ScopeEntry);
    assert.equal(entries.length, cli.total.persons);
    assert.ok(cli.card.persons > 0 && cli.personal.persons > cli.card.persons && cli.recipients.persons > 0, 'a history with every category');
    const emails = entries.filter((e) => e.type === 'person' && e.contact.email).map((e) => e.contact.email!.toLowerCase());
    assert.equal(new Set(emails).size, emails.length, 'one scope entry per e-mail address');
    const byLetter = entries.length - emails.length;
    assert.ok(emails.length > 0 && byLetter > 0, 'some notices by mail, some by letter');

    // 2. A security staff member, signed in with 2FA.
    const { token } = await signedInStaff(shop.shop.services, new Client(shop.url), 'security', 'security-tantou@example.jp');
    const { context, page } = await newVisitor(handle.browser);
    await context.addCookies([{ name: ADMIN_COOKIE, value: token, url: `${shop.url}/admin` }]);
    const scriptErrors: string[] = [];
    page.on('pageerror', (err) => scriptErrors.push(err.message));
    page.on('dialog', (d) => void d.accept());

    try {
      // 3. Record the incident: known on 2024-07-17 through the police.
      await page.goto(`${shop.url}/admin/incidents`);
      await page.getByLabel(/^\s*件名/).fill('カード決済画面の改ざんによる情報漏えいのおそれ');
      await page.getByLabel(/^\s*把握した日/).fill('2024-07-17');
      await page.getByLabel('把握した経緯').selectOption('police');
      await page.getByLabel('把握した内容').fill('警察からカード情報流出のおそれについて連絡を受けた。');
      await page.getByRole('button', { name: '記録する' }).click();
      await page.waitForURL(/\/admin\/incidents\/inc_[0-9A-Z]{16}\?done=created$/);
      const incidentUrl = page.url().split('?')[0]!;
      assert.match(await page.locator('main').innerText(), /INC-\d{4}-\d{3}/);

      // 4. Report cases 2号 and 3号, and the seed's windows.
      await page.getByRole('checkbox', { name: /2号 財産的被害/ }).check();
      await page.getByRole('checkbox', { name: /3号 不正の目的/ }).check();
      await page.getByLabel(/^\s*クレジットカード情報: 開始日/).fill(WINDOWS.card[0]);
      await page.getByLabel(/^\s*クレジットカード情報: 終了日/).fill(WINDOWS.card[1]);
      await page.getByLabel(/^\s*個人情報（注文者・会員・配送先）: 開始日/).fill(WINDOWS.personal[0]);
      await page.getByLabel(/^\s*個人情報: 終了日/).fill(WINDOWS.personal[1]);
      await page.getByRole('button', { name: '保存する', exact: true }).click();
      await page.waitForURL(/\?done=saved$/);
      const deadlines = await page.locator('section[aria-labelledby="deadline-h"]').innerText();
      assert.match(deadlines, /確報 2024-09-17（60日・不正の目的）/);

      // 5. The scope: the same counts as the command line.
      await page.getByRole('button', { name: '影響範囲を算出して保存する' }).click();
      await page.waitForURL(/\?done=scoped$/);
      assert.deepEqual(
        { card: await count(page, 'card'), personal: await count(page, 'personal'), recipients: await count(page, 'recipients'), total: await count(page, 'total') },
        { card: cli.card.persons, personal: cli.personal.persons, recipients: cli.recipients.persons, total: cli.total.persons },
      );
      assert.match(await page.locator('section[aria-labelledby="scope-h"]').innerText(), new RegExp(`決済試行 ${n(cli.card.payments)}件`));
      await screenshot(page, 'incident-response-scope');

      // 6. The notices: mails through the outbox to the SMTP server, the rest to the letter queue.
      await page.getByRole('button', { name: '通知を送信する' }).click();
      await page.waitForURL(/\?done=sent$/);
      const services = shop.shop.services;
      while ((await services.outbox.runOnce()) > 0) { /* until the queue is empty */ }
      const delivered = sink.messages.flatMap((m) => m.to.map((t) => t.toLowerCase()));
      assert.equal(delivered.length, emails.length, 'one mail per person with an e-mail address');
      assert.deepEqual([...delivered].sort(), [...emails].sort(), 'every such person got exactly one, nobody two');
      // Sending again (a double click, a retry after a crash) sends nobody anything.
      await page.goto(incidentUrl);
      await page.getByRole('button', { name: '通知を送信する' }).click();
      await page.waitForURL(/\?done=sent$/);
      assert.equal(await services.outbox.runOnce(), 0);
      assert.equal(sink.messages.length, emails.length);

      // 7. The letters: one batch, a PDF and a mailing CSV.
      await page.getByRole('button', { name: '書状を作成する（PDF・発送用CSV）' }).click();
      await page.waitForURL(/\?done=letters$/);
      const pdfHref = await page.getByRole('link', { name: 'PDF', exact: true }).first().getAttribute('href');
      const csvHref = await page.getByRole('link', { name: 'CSV', exact: true }).first().getAttribute('href');
      assert.ok(pdfHref && csvHref);
      const lettersRes = await page.request.get(`${shop.url}${pdfHref}`);
      assert.equal(lettersRes.headers()['content-type'], 'application/pdf');
      const letters = await lettersRes.body();
      const pages = pdfPages(letters);
      assert.ok(pages >= byLetter, `at least one page per letter (${pages} pages, ${byLetter} letters)`);
      const mailing = parseCsv((await (await page.request.get(`${shop.url}${csvHref}`)).text()).replace(/^\uFEFF/, ''));
      assert.equal(mailing.length - 1, byLetter, 'one mailing line per letter');
      const header = mailing[0]!;
      const first = Object.fromEntries(header.map((h, i) => [h, mailing[1]![i]!]));
      const lettersText = pdfText(letters).replace(/[ \t]+/g, ' ');
      const name = Object.entries(first).find(([h]) => /氏名|宛名|お名前/.test(h))?.[1];
      const postal = Object.entries(first).find(([h]) => /郵便番号/.test(h))?.[1];
      assert.ok(name && postal, `mailing CSV columns: ${header.join(',')}`);
      assert.ok(lettersText.includes(name.replace(/[ \u3000]+/g, ' ').split(' ')[0]!), `the recipient ${name} in the letters`);
      assert.match(lettersText, new RegExp(`〒\\s*${postal.replace(/^(\d{3})-?(\d{4})$/, '$1-?$2')}`));

      // 8. The PPC 確報 draft (Markdown) and the public notice (PDF).
      await page.goto(incidentUrl);
      const finalHref = await page.locator('section[aria-labelledby="docs-h"] li', { hasText: '確報' }).getByRole('link', { name: 'Markdown' }).getAttribute('href');
      const ppc = await (await page.request.get(`${shop.url}${finalHref!}`)).text();
      assert.match(ppc, /確報/);
      assert.match(ppc, /確報の期限: 2024年9月17日/);
      assert.ok(ppc.includes(`クレジットカード情報: ${n(cli.card.persons)}人（決済試行${n(cli.card.payments)}件）`));
      assert.ok(ppc.includes(`注文者・会員登録情報: ${n(cli.personal.persons)}人`));
      assert.ok(ppc.includes(`配送先情報（第三者）: ${n(cli.recipients.persons)}人`));
      assert.ok(ppc.includes(`合計（重複を除く。配送先を含む）: ${n(cli.total.persons)}人`));
      assert.match(ppc, new RegExp(`送信済み${n(emails.length)}件`), 'the notices sent so far');

      const noticeHref = await page.locator('section[aria-labelledby="docs-h"] li', { hasText: '公表文' }).getByRole('link', { name: 'PDF' }).getAttribute('href');
      const noticeRes = await page.request.get(`${shop.url}${noticeHref!}`);
      assert.equal(noticeRes.headers()['content-type'], 'application/pdf');
      const notice = pdfText(await noticeRes.body()).replace(/\s+/g, '');
      assert.ok(notice.includes('お詫びとお知らせ'));
      assert.ok(notice.includes(`お客様${n(cli.card.persons)}名`), 'the card count in the public notice');
      assert.ok(notice.includes(`お客様${n(cli.personal.persons)}名`), 'the personal-data count');
      assert.ok(notice.includes(`${n(cli.recipients.persons)}名の方`), 'recipients counted apart');
      assert.doesNotMatch(notice, /https?:\/\//, 'no link in the public notice');
      assert.deepEqual(scriptErrors, []);
    } catch (err) {
      await screenshot(page, 'incident-response-failure').catch(() => undefined);
      throw err;
    } finally {
      await context.close();
    }
  });
});
