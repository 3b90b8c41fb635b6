import type { Db } from '../db/index.js';
import { nowIso } from '../db/index.js';
import { newId } from '../shared/ids.js';

export type CardPaymentState = 'enabled' | 'suspended';

export interface SwitchChange {
  id: string;
  at: string;
  state: CardPaymentState;
  actor: string;
  reason: string;
}

/**
 * The card-payment kill switch. Its state is the latest row of an append-only log (who, when,
 * why), read from the database on every card decision so every shop process sees a change at once.
 */
export class CardKillSwitch {
  private readonly listeners: ((c: SwitchChange) => Promise<void> | void)[] = [];

  constructor(private readonly db: Db) {}

  onChange(listener: (c: SwitchChange) => Promise<void> | void): void {
    this.listeners.push(listener);
  }

  async state(): Promise<{ state: CardPaymentState; since: string | null; reason: string | null; actor: string | null }> {
    const row = await this.db.selectFrom('card_payment_switch').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
    if (!row) return { state: 'enabled', since: null, reason: null, actor: null };
    return { state: row.state, since: row.at, reason: row.reason, actor: row.actor };
  }

  async isSuspended(): Promise<boolean> {
    return (await this.state()).state === 'suspended';
  }

  async set(state: CardPaymentState, actor: string, reason: string): Promise<{ changed: boolean }> {
    const reasonClean = reason.trim().slice(0, 500);
    if (!reasonClean) throw new Error('A reason is required.');
    const current = await this.state();
    const change: SwitchChange = { id: newId('ksw'), at: nowIso(), state, actor: actor.slice(0, 200), reason: reasonClean };
    // Every request is recorded, even a repeat, so the log shows who asked what and why.
    await this.db.insertInto('card_payment_switch').values(change).execute();
    const changed = current.state !== state;
    if (changed) for (const l of this.listeners) await l(change);
    return { changed };
  }

  history(limit = 50): Promise<SwitchChange[]> {
    return this.db.selectFrom('card_payment_switch').selectAll().orderBy('at', 'desc').limit(limit).execute();
  }
}
