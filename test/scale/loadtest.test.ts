import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { booksVerdict, runShop } from '../../bench/loadtest.js';
import { findPgBin } from '../../bench/pg-throwaway.js';

/**
 * The load test's fault run in short form (bench/loadtest.ts, docs/operations-scale.md): two shop
 * processes on a PostgreSQL server of its own under mixed traffic for 30 s, while one shop process is
 * killed with SIGKILL every 6 s, PostgreSQL is restarted once and the mail server refuses every mail
 * with 451 for 6 s. Then the books: nothing lost, nothing doubled, nothing oversold, every
 * confirmation delivered.
 */
describe('load with faults: two shop processes on PostgreSQL keep the books', { skip: findPgBin() ? false : 'no PostgreSQL server binaries (/usr/lib/postgresql/*/bin)' }, () => {
  test('kill -9, a PostgreSQL restart and a refusing mail server lose nothing and double nothing', async () => {
    const r = await runShop('faults', {
      durationSec: 30, faultDurationSec: 30, users: 6, killEverySec: 6, smtp4xxSec: 6, drainSec: 90, scarceStock: 1,
    }, (line) => console.log(line));
    const b = r.books!;
    const f = r.faults!;
    console.log(booksVerdict(b));
    console.log(`faults ${JSON.stringify(f)}`);
    // The faults happened.
    assert.ok(f.kills >= 2, `at least two shop processes killed (${f.kills})`);
    assert.ok(f.pgRestartMs !== null && f.pgRecoverMs !== null, 'PostgreSQL restarted and the shop answered again');
    assert.ok(f.mailsDeferred > 0, 'mails were refused with 451 and left for later');
    // Business went on.
    assert.ok(b.pspPaid > 0, 'card payments were taken');
    // The books.
    assert.equal(b.lost, 0, 'no order paid at the provider is missing in the shop');
    assert.equal(b.doubleCharged, 0, 'no order charged twice');
    assert.equal(b.duplicatedPayments, 0);
    assert.equal(b.paidWithoutPayment, 0, 'no order paid in the shop without a payment');
    assert.equal(b.multiPaidEvents, 0);
    assert.ok(b.stock.some((s) => s.before > 0 && s.after === 0), 'the scarce variant sold out: buyers competed for the last units');
    assert.equal(b.oversold, 0, 'nothing oversold');
    assert.equal(b.stockProblems, 0, 'stock = before − sold for every variant');
    assert.equal(b.pspPaid, b.shopPaid);
    assert.ok(b.mail, 'mail was counted at the SMTP server');
    assert.equal(b.mail.lost, 0, 'every paid order\'s confirmation delivered');
    assert.equal(b.mail.doubled, 0, 'no order got two confirmations');
    assert.equal(b.mail.failed, 0, 'no mail given up on');
    assert.notEqual(f.mailRecoverMs, null, 'every deferred mail delivered after the mail server recovered');
    // A mail accepted by the server just before its sender was killed is sent again with the same
    // Message-ID (at least once delivery); a process sends one mail at a time, so at most one per kill.
    assert.ok(b.mail.extraDeliveries <= f.kills, `re-sent mails ${b.mail.extraDeliveries} ≤ kills ${f.kills}`);
    assert.ok(r.settleMs !== null, 'the shop caught up after the load');
    assert.ok(b.ok);
  });
});
