import { describe, expect, it } from 'vitest';
import { describePresence, isAway } from './presence';
import type { Presence } from './types';

describe('describePresence', () => {
  const cases: [Presence | undefined, string, boolean][] = [
    [undefined, '', false],
    [{ nick: 'bob' }, '', false],
    [{ nick: 'bob', online: true }, 'Online', false],
    [{ nick: 'bob', online: false }, 'Offline', true],
    [{ nick: 'bob', online: true, away: 'lunch' }, 'Away: lunch', true],
    [{ nick: 'bob', away: '' }, 'Away', true],
    [{ nick: 'bob', account: 'bobby' }, 'logged in as bobby', false],
    [{ nick: 'bob', online: true, away: 'brb', account: 'bobby' }, 'Away: brb · logged in as bobby', true],
  ];
  it.each(cases)('%j', (p, text, away) => {
    expect(describePresence(p)).toBe(text);
    expect(isAway(p)).toBe(away);
  });

  it('reads participants too', () => {
    expect(describePresence({ nick: 'bob', mode: '@', away: 'gone' })).toBe('Away: gone');
  });
});
