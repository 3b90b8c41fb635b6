import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startPsp, type PspHandle } from '../../psp/server.js';
import { openDatabase } from '../../src/db/index.js';
import { containsCardNumber } from '../../src/payments/tripwire.js';
import { Client, guestForm } from '../helpers/browser-client.js';
import { CHILD_SECRETS, ChildShop } from '../helpers/child-shop.js';
import { freePort } from '../helpers/shop.js';

const CARDS = [
  '4242424242424242', '5555555555554444', '3566002020360505', '378282246310005', '36227206271667',
  '4000000000000002', '4000000000009995', '4000000000003220', '4000008400001629',
];
const CVC = '582';
const CVC_AMEX = '5821';
const EXPIRY = '11/29';

let dir: string;
let psp: PspHandle;
let shop: ChildShop;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mamori-nocard-'));
  psp = await startPsp({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'provider'), apiKey: CHILD_SECRETS.PSP_API_KEY, webhookSecret: CHILD_SECRETS.PSP_WEBHOOK_SECRET, logLevel: 'silent', webhookRetryBaseMs: 100 });
  shop = new ChildShop(join(dir, 'shop'), await freePort(), psp, { LOG_LEVEL: 'trace' });
  await shop.start();
});
after(async () => {
  await shop?.kill9();
  await psp?.close();
  rmSync(dir, { recursive: true, force: true });
});

function filesUnder(root: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(root)) {
    const p = join(root, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

test('after purchases with every sandbox card, no card number or security code is anywhere the shop writes', async () => {
  for (const [i, card] of CARDS.entries()) {
    const c = new Client(shop.url);
    await c.get('/products/kaga-bo-hojicha');
    await c.post('/cart/add', { variant_id: /name="variant_id" value="(var_[0-9A-Z]{16})"/.exec(c.last!.html)![1]!, quantity: '1' });
    await c.get('/checkout');
    await c.post('/checkout/confirm', guestForm({ payment_method: 'card', orderer_email: `card${i}@example.jp`, note: 'ギフト包装希望' }));
    const page = await c.request('/checkout/place', { form: c.hiddenFields('/checkout/place') });
    const action = /<form method="post" action="(\/pay\/[^"]+)"/.exec(page.html)![1]!;
    let res = await c.request(new URL(action, psp.url).href, { form: { cardNumber: card, expiry: EXPIRY, cvc: card.startsWith('37') ? CVC_AMEX : CVC, name: 'HANAKO SUZUKI' } });
    const challenge = /<form method="post" action="(\/pay\/[^"]+\/3ds)"/.exec(res.html);
    if (challenge) res = await c.request(new URL(challenge[1]!, psp.url).href, { form: { code: '123456' } });
  }
  // Let the worker send every mail and the provider's webhooks arrive.
  const h = openDatabase({ databaseUrl: null, dataDir: join(dir, 'shop') });
  try {
    for (let i = 0; i < 100; i++) {
      const pending = await h.db.selectFrom('outbox').select('id').where('status', '=', 'pending').execute();
      if (pending.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const paid = await h.db.selectFrom('orders').select('id').where('payment_status', '=', 'paid').execute();
    assert.equal(paid.length, 6, 'five brands and the 3-D Secure challenge were paid');
    const stored = await h.db.selectFrom('payments').select(['brand', 'last4']).where('status', '=', 'paid').execute();
    assert.ok(stored.every((p) => p.last4 && /^\d{4}$/.test(p.last4) && p.brand));
  } finally {
    await h.close();
  }
  await new Promise((r) => setTimeout(r, 500));
  const files = filesUnder(join(dir, 'shop'));
  assert.ok(files.some((f) => f.endsWith('.eml')), 'mail was written');
  assert.ok(files.some((f) => f.endsWith('mamori.sqlite')));
  const haystacks: [string, string][] = files.map((f) => [f, readFileSync(f).toString('latin1') + readFileSync(f).toString('utf8')]);
  haystacks.push(['shop output (logs)', shop.output.join('')]);
  assert.ok(shop.output.join('').length > 1000, 'trace logs were captured');
  for (const [name, text] of haystacks) {
    for (const card of CARDS) assert.equal(text.includes(card), false, `${card} in ${name}`);
    // Text the shop writes (mail, logs) is scanned for any card-like number and for the security
    // code; the binary database files (full of hex hashes, where digit runs occur by chance) and the
    // generated demo images (coordinates) are searched for the exact card numbers above.
    if (!/\.(sqlite|sqlite-wal|sqlite-shm|svg)$/.test(name)) {
      assert.equal(containsCardNumber(text), false, `a Luhn-valid card-like number in ${name}`);
      assert.doesNotMatch(text, new RegExp(`(?<![\\d.])(${CVC}|${CVC_AMEX})(?![\\d.])`), `a security code in ${name}`);
      assert.equal(text.includes(EXPIRY), false, `the expiry in ${name}`);
    }
  }
});
