import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDatabase, type DbHandle } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { enqueueMail, OutboxWorker } from '../../src/notify/outbox.js';
import { SmtpTransport } from '../../src/notify/transport.js';
import { DIALECTS, freshPgSchema } from '../helpers/shop.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';

for (const { dialect, skip } of DIALECTS) {
  describe(`mail outbox on ${dialect}`, { skip }, () => {
    let handle: DbHandle;
    let dir: string;
    let dropSchema: (() => Promise<void>) | null = null;
    let sink: Awaited<ReturnType<typeof startSmtpSink>>;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'mamori-outbox-'));
      let url: string | null = null;
      if (dialect === 'postgres') {
        const s = await freshPgSchema();
        url = s.url;
        dropSchema = s.drop;
      }
      handle = openDatabase({ databaseUrl: url, dataDir: dir });
      await migrateToLatest(handle.db);
      sink = await startSmtpSink();
    });
    after(async () => {
      await handle?.close();
      await sink?.close();
      await dropSchema?.();
      rmSync(dir, { recursive: true, force: true });
    });

    const mail = (key: string, to = 'buyer@example.jp') => ({ dedupeKey: key, kind: 'test', to, subject: `件名 ${key}`, text: `本文 ${key}\nご注文ありがとうございます。` });

    test('a mail queued twice with the same key is sent once, with UTF-8 Japanese intact', async () => {
      await enqueueMail(handle.db, mail('a'));
      await enqueueMail(handle.db, mail('a'));
      const worker = new OutboxWorker(handle.db, handle.dialect, new SmtpTransport(sink.url, 'Shop <shop@example.jp>'));
      assert.equal(await worker.runOnce(), 1);
      assert.equal(await worker.runOnce(), 0);
      assert.equal(sink.messages.length, 1);
      assert.deepEqual(sink.messages[0]!.to, ['buyer@example.jp']);
      assert.match(sink.messages[0]!.raw, /Message-ID: <mail_[0-9A-Z]{16}@mamori\.invalid>/i);
    });

    test('temporary 4xx is retried later; permanent 5xx marks the mail failed', async () => {
      sink.messages.length = 0;
      await enqueueMail(handle.db, mail('temp'));
      await enqueueMail(handle.db, mail('perm', 'gone@example.jp'));
      const worker = new OutboxWorker(handle.db, handle.dialect, new SmtpTransport(sink.url, 'shop@example.jp'));
      sink.failNext(451, 1);
      await worker.runOnce();
      const first = await handle.db.selectFrom('outbox').select(['dedupe_key', 'status', 'attempts', 'last_error']).where('dedupe_key', 'in', ['temp', 'perm']).orderBy('dedupe_key').execute();
      // One of the two got the 451 and is pending with a back-off; the other was sent.
      const pending = first.filter((r) => r.status === 'pending');
      assert.equal(pending.length, 1);
      assert.match(pending[0]!.last_error ?? '', /451/);
      // Make it due now and answer 550: permanent.
      await handle.db.updateTable('outbox').set({ next_attempt_at: new Date(0).toISOString() }).where('status', '=', 'pending').execute();
      sink.failNext(550, 1);
      await worker.runOnce();
      const failed = await handle.db.selectFrom('outbox').select(['status', 'attempts']).where('dedupe_key', '=', pending[0]!.dedupe_key).executeTakeFirstOrThrow();
      assert.deepEqual(failed, { status: 'failed', attempts: 2 });
    });

    test('a batch is sent in parallel over pooled connections: each mail once, a refusal marks only its own row', async () => {
      sink.messages.length = 0;
      for (let i = 0; i < 30; i++) await enqueueMail(handle.db, mail(`par-${i}`, `q${i}@example.jp`));
      const transport = new SmtpTransport(sink.url, 'shop@example.jp');
      const worker = new OutboxWorker(handle.db, handle.dialect, transport, { batchSize: 30, concurrency: 8 });
      sink.failNext(550, 1);
      assert.equal(await worker.runOnce(), 29);
      const rows = await handle.db.selectFrom('outbox').select(['status', 'locked_by']).where('dedupe_key', 'like', 'par-%').execute();
      assert.deepEqual(rows.map((r) => r.status).sort(), ['failed', ...Array<string>(29).fill('sent')]);
      assert.ok(rows.every((r) => r.locked_by === null), 'every lease released');
      const sentTo = sink.messages.map((m) => m.to[0]).filter((t) => t?.startsWith('q'));
      assert.equal(sentTo.length, 29);
      assert.equal(new Set(sentTo).size, 29);
      assert.equal(await worker.runOnce(), 0, 'nothing left, nothing sent twice');
      transport.close();
    });

    test('two workers at once never send the same mail twice', async () => {
      sink.messages.length = 0;
      for (let i = 0; i < 40; i++) await enqueueMail(handle.db, mail(`bulk-${i}`, `p${i}@example.jp`));
      const a = new OutboxWorker(handle.db, handle.dialect, new SmtpTransport(sink.url, 'shop@example.jp'), { batchSize: 7 });
      const b = new OutboxWorker(handle.db, handle.dialect, new SmtpTransport(sink.url, 'shop@example.jp'), { batchSize: 7 });
      for (let round = 0; round < 10; round++) await Promise.all([a.runOnce(), b.runOnce()]);
      const sentTo = sink.messages.map((m) => m.to[0]).filter((t) => t?.startsWith('p'));
      assert.equal(sentTo.length, 40);
      assert.equal(new Set(sentTo).size, 40);
    });
  });
}
