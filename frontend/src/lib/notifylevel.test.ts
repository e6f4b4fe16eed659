import { describe, expect, it } from 'vitest';
import { FOREVER, defaultNotify, muteUntil, muted, mutedLabel, quietBadge, wants } from './notifylevel';

describe('notification levels', () => {
  const now = Date.UTC(2026, 0, 10, 12, 0);
  it('follows the level and the mute', () => {
    const d = defaultNotify();
    expect([wants(d, false, false, now), wants(d, true, false, now), wants(d, false, true, now)]).toEqual([false, true, true]);
    expect(wants({ ...d, level: 'all' }, false, false, now)).toBe(true);
    expect(wants({ ...d, level: 'none' }, true, true, now)).toBe(false);
    const m = { ...d, mute_until: now + 1 };
    expect(muted(m, now) && !wants(m, true, true, now) && quietBadge(m, now)).toBe(true);
    expect(muted(m, now + 1)).toBe(false);
    expect(quietBadge(d, now)).toBe(false);
    expect(quietBadge({ ...d, level: 'none' }, now)).toBe(true);
  });

  it('ends mutes', () => {
    const at = new Date(2026, 0, 10, 23, 30);
    expect(muteUntil('1h', at)).toBe(at.getTime() + 3_600_000);
    expect(new Date(muteUntil('tomorrow', at)).getHours()).toBe(8);
    expect(new Date(muteUntil('tomorrow', at)).getDate()).toBe(11);
    expect(muteUntil('forever', at)).toBe(FOREVER);
    expect(mutedLabel({ ...defaultNotify(), mute_until: FOREVER }, at)).toBe('Muted');
    expect(mutedLabel(defaultNotify(), at)).toBe('');
  });
});
