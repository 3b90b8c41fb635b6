import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addDays } from '../../src/shared/time.js';
import { deadlineStatus, isBusinessDay, onOrNextBusinessDay, reportDeadlines } from '../../src/incidents/deadlines.js';

test('the seed case: known 2024-07-17, 不正の目的 → 確報 due 2024-09-17 (day 60 is a Saturday, then Sunday, then 敬老の日)', () => {
  const d = reportDeadlines('2024-07-17', { unlawfulPurpose: true });
  assert.equal(d.final.days, 60);
  assert.equal(d.final.nominal, '2024-09-14');
  assert.equal(d.final.due, '2024-09-17');
});

test('without 不正の目的 the 確報 is due on day 30, the day of knowing being day 1', () => {
  const d = reportDeadlines('2024-07-17', { unlawfulPurpose: false });
  assert.equal(d.final.days, 30);
  assert.equal(d.final.nominal, '2024-08-15'); // Thursday, a business day
  assert.equal(d.final.due, '2024-08-15');
});

test('速報: target day 3, latest day 5 moved off weekends', () => {
  // Known Wednesday 2024-07-17: day 3 = Fri 07-19, day 5 = Sun 07-21 → Mon 07-22.
  const d = reportDeadlines('2024-07-17', { unlawfulPurpose: true });
  assert.equal(d.preliminary.target, '2024-07-19');
  assert.equal(d.preliminary.latest, '2024-07-22');
});

test('a deadline in the year-end closure 12/29–1/3 moves to the first business day of the year', () => {
  // Known 2024-11-30, 30 days → day 30 = 2024-12-29 (Sunday, closure) → 12-30, 12-31, 01-01 … 01-03 closed,
  // 2025-01-04/05 weekend → Monday 2025-01-06.
  const d = reportDeadlines('2024-11-30', { unlawfulPurpose: false });
  assert.equal(d.final.nominal, '2024-12-29');
  assert.equal(d.final.due, '2025-01-06');
});

test('a deadline on a national holiday moves to the next day, and a Monday holiday moves to Tuesday', () => {
  assert.equal(isBusinessDay('2025-05-05'), false); // こどもの日 (Monday)
  assert.equal(onOrNextBusinessDay('2025-05-03'), '2025-05-07'); // Sat, Sun, 5/5 holiday, 5/6 振替休日
  assert.equal(onOrNextBusinessDay('2024-02-12'), '2024-02-13'); // 振替休日 of 建国記念の日
  assert.equal(isBusinessDay('2024-09-17'), true);
  assert.equal(onOrNextBusinessDay('2024-09-17'), '2024-09-17');
});

test('leap days and month ends count correctly', () => {
  assert.equal(addDays('2024-02-28', 1), '2024-02-29');
  assert.equal(addDays('2023-02-28', 1), '2023-03-01');
  // Known 2024-02-01, 30 days → day 30 = 2024-03-01 (Friday).
  assert.equal(reportDeadlines('2024-02-01', { unlawfulPurpose: false }).final.due, '2024-03-01');
});

test('impossible dates are refused', () => {
  assert.throws(() => reportDeadlines('2024-02-30', { unlawfulPurpose: false }), RangeError);
  assert.throws(() => reportDeadlines('2024/07/17', { unlawfulPurpose: false }), RangeError);
});

test('status warns before, on and after the due date, and says when a report was filed late', () => {
  const d = reportDeadlines('2024-07-17', { unlawfulPurpose: true });
  const [pre, fin] = deadlineStatus(d, '2024-07-20', {});
  assert.equal(pre!.state, 'due_soon');
  assert.equal(pre!.daysLeft, 2);
  assert.equal(fin!.state, 'ok');
  assert.equal(deadlineStatus(d, '2024-07-22', {})[0]!.state, 'due_today');
  const late = deadlineStatus(d, '2024-09-20', { preliminaryOn: '2024-07-19' });
  assert.equal(late[0]!.state, 'done');
  assert.equal(late[1]!.state, 'overdue');
  assert.equal(late[1]!.daysLeft, -3);
  assert.match(late[1]!.message, /3日過ぎています/);
  // The seed shop reported to the PPC on 2024-08-21: within the 60-day 確報 limit.
  const seed = deadlineStatus(d, '2024-08-21', { preliminaryOn: '2024-08-21', finalOn: '2024-08-21' });
  assert.match(seed[0]!.message, /超過/);
  assert.equal(seed[1]!.message, '確報は2024-08-21に提出済み');
});
