import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TEST_CARDS } from '../../psp/cards.js';
import { apiPost, payWith, postForm, sessionInput, startTestPsp, waitFor, WebhookReceiver, type TestPsp } from './helpers.js';

/**
 * The PSP keeps brand and last 4 only: after real traffic with every test card, no full number,
 * expiry or cardholder name may be found in its database files, its logs or its webhooks.
 */

const EXPIRY = '07/37';
const HOLDER = 'XYZZY PLUGH';

let t: TestPsp;
let receiver: WebhookReceiver;
const numbers = TEST_CARDS.map((c) => c.number);

before(async () => {
  receiver = await new WebhookReceiver().start();
  t = await startTestPsp({ timeoutDelayMs: 100 });

  for (const card of TEST_CARDS) {
    const session = await t.client.createSession(sessionInput({ webhookUrl: receiver.url }));
    const cvc = card.brand === 'amex' ? '1234' : '123';
    const res = await payWith(session.redirectUrl, { cardNumber: card.number, expiry: EXPIRY, cvc, name: HOLDER });
    assert.equal(res.status, 303, card.number);
    if (card.scenario.kind === 'challenge') {
      await postForm(`${session.redirectUrl}/3ds`, { code: '999999' });
      await postForm(`${session.redirectUrl}/3ds`, { code: '123456' });
    }
    // Invalid submissions with the full number in them, too.
    await payWith(session.redirectUrl, { cardNumber: card.number, expiry: '01/01', cvc, name: HOLDER });
    await postForm(session.redirectUrl, { cardNumber: card.number + '0', expiry: EXPIRY, cvc, name: HOLDER });
    // A number where it does not belong: in a URL and in malformed JSON.
    await fetch(`${t.psp.url}/pay/${session.providerPaymentId}?cardNumber=${card.number}`);
    await apiPost(t, '/v1/sessions', `{"cardNumber": ${card.number}, oops`);
  }
  // Let the timeout card resolve and the webhooks go out.
  await waitFor('all webhooks', () => (receiver.received.length >= TEST_CARDS.length ? true : undefined));
  await new Promise((r) => setTimeout(r, 300));
});

after(async () => {
  await t.close();
  await receiver.close();
});

function spaced(number: string): string {
  return number.replace(/(\d{4})(?=\d)/g, '$1 ');
}

function assertNoCardData(haystack: Buffer, where: string) {
  for (const number of numbers) {
    for (const form of [number, spaced(number), number.slice(0, 12)]) {
      assert.equal(haystack.indexOf(Buffer.from(form, 'latin1')), -1, `${form} found in ${where}`);
      assert.equal(haystack.indexOf(Buffer.from(form, 'utf16le')), -1, `${form} (UTF-16) found in ${where}`);
    }
  }
  assert.equal(haystack.indexOf(Buffer.from(EXPIRY)), -1, `expiry found in ${where}`);
  assert.equal(haystack.indexOf(Buffer.from(HOLDER)), -1, `cardholder name found in ${where}`);
}

function dbFiles(): string[] {
  const dir = join(t.dir, 'psp');
  return readdirSync(dir).map((f) => join(dir, f));
}

describe('no card data at rest or in transit', () => {
  it('the traffic really happened (brand and last 4 were stored)', async () => {
    const db = readFileSync(t.psp.databaseFile);
    // Checkpointed or not, the last 4 of the success card are somewhere in the files.
    const all = Buffer.concat(dbFiles().map((f) => readFileSync(f)));
    assert.ok(db.length > 0);
    assert.notEqual(all.indexOf(Buffer.from('4242')), -1);
    assert.ok(receiver.received.length >= TEST_CARDS.length);
  });

  it('the SQLite files (database, WAL, shared memory) contain no full number, expiry or name', () => {
    const files = dbFiles();
    assert.ok(files.some((f) => f.endsWith('psp.sqlite')));
    for (const file of files) assertNoCardData(readFileSync(file), file);
  });

  it('the logs contain no card data', () => {
    assert.ok(t.logs.length > 50, 'trace logging was on');
    assertNoCardData(Buffer.from(t.logs.join('')), 'logs');
  });

  it('the webhooks contain no card data', () => {
    for (const w of receiver.received) assertNoCardData(Buffer.from(w.body), 'webhook body');
  });

  it('after close (WAL checkpointed into the main file) there is still none', async () => {
    await t.psp.close();
    assert.ok(existsSync(t.psp.databaseFile));
    for (const file of dbFiles()) assertNoCardData(readFileSync(file), file);
  });
});
