import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../../app/config.js';
import { createServices } from '../../app/services.js';

export const NOTICES_HELP = `  notices status [--incident INC-YYYY-NNN] [--json]
               Progress of the per-person notices (queued, sent, bounced, letters generated/posted)
  notices bounces FILE
               Import a bounce list or DSN messages: those people get a letter instead`;

/** `npx mamori notices status|bounces`. Returns the exit code. */
export async function noticesCommand(args: string[], config: Config): Promise<number> {
  const [sub, ...rest] = args;
  const services = await createServices(config);
  try {
    if (sub === 'status') {
      const { values } = parseArgs({ args: rest, options: { incident: { type: 'string' }, json: { type: 'boolean', default: false } } });
      let incidents = await services.handle.db.selectFrom('incidents').select(['id', 'number', 'title']).orderBy('number').execute();
      if (values.incident) incidents = incidents.filter((i) => i.number === values.incident);
      if (values.incident && incidents.length === 0) {
        console.error(`No incident ${values.incident}.`);
        return 1;
      }
      const out = [];
      for (const i of incidents) {
        const p = await services.notices.progress(i.id);
        out.push({
          incident: i.number, title: i.title,
          email: { queued: p.emailQueued, sent: p.emailSent, bounced: p.bounced },
          letter: { pending: p.lettersPending, generated: p.lettersGenerated, posted: p.lettersPosted },
          byReason: p.byReason, total: p.total,
        });
      }
      if (values.json) console.log(JSON.stringify(values.incident ? out[0] : out));
      else for (const o of out) console.log(`${o.incident} ${o.title}: ${o.total} notices — mail queued ${o.email.queued}, sent ${o.email.sent}, bounced ${o.email.bounced}; letters pending ${o.letter.pending}, generated ${o.letter.generated}, posted ${o.letter.posted}`);
      return 0;
    }
    if (sub === 'bounces') {
      const file = rest[0];
      if (!file) {
        console.error(`Usage:\n${NOTICES_HELP}`);
        return 2;
      }
      const r = await services.notices.importBounces(await readFile(resolve(file), 'utf8'), `cli:${userInfo().username}`);
      console.log(`${r.addresses} bounced addresses read (${r.ignored} lines ignored); ${r.moved} notices moved to the letter queue.`);
      return 0;
    }
    console.error(`Usage:\n${NOTICES_HELP}`);
    return 2;
  } finally {
    await services.close();
  }
}
