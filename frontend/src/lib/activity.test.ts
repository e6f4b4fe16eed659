import { describe, expect, it } from 'vitest';
import { Activity, IDLE_MS } from './activity';

describe('Activity', () => {
  it('sends changes only: visible and used is active, hidden or idle is not', () => {
    const sent: boolean[] = [];
    const a = new Activity((x) => sent.push(x), 0);
    a.update(1000, true);
    a.update(2000, true);
    a.input(3000, true);
    a.update(3000 + IDLE_MS, true);
    a.input(3000 + IDLE_MS + 1, true);
    a.update(3000 + IDLE_MS + 2, false);
    a.reconnected(3000 + IDLE_MS + 3, false);
    expect(sent).toEqual([true, false, true, false, false]);
  });
});
