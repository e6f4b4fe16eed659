import { describe, expect, it } from 'vitest';
import { DEFAULT_PREFS, displayClasses, isLong, legacyChanges, LONG_LINE, readCached, timeOf } from './prefs.svelte';

describe('isLong', () => {
  it('asks above the line limit or for one very long line', () => {
    expect(isLong('a\nb\nc', 3)).toBe(false);
    expect(isLong('a\nb\nc\n', 3)).toBe(false);
    expect(isLong('a\nb\nc\nd', 3)).toBe(true);
    expect(isLong('x'.repeat(LONG_LINE + 1), 3)).toBe(true);
    expect(isLong('x'.repeat(LONG_LINE), 3)).toBe(false);
    expect(isLong('a\nb\nc\nd', 0)).toBe(false);
    expect(isLong('/msg bob a\nb\nc\nd', 3)).toBe(false);
  });
});

describe('timeOf', () => {
  const ts = '2026-01-02T13:05:09Z';
  it('writes 24- or 12-hour times, with seconds when asked', () => {
    const h = new Date(ts).getHours();
    expect(timeOf(ts, '24h', false, 'en-GB')).toBe(`${String(h).padStart(2, '0')}:05`);
    expect(timeOf(ts, '24h', true, 'en-GB')).toBe(`${String(h).padStart(2, '0')}:05:09`);
    expect(timeOf(ts, '12h', false, 'en-US')).toMatch(/^\d{1,2}:05\s?(AM|PM)$/);
  });
});

describe('readCached', () => {
  it('takes known fields of the right type and defaults the rest', () => {
    expect(readCached(null)).toEqual(DEFAULT_PREFS);
    expect(readCached('not json')).toEqual(DEFAULT_PREFS);
    const p = readCached(JSON.stringify({ font_size: 18, density: 'compact', nick_colors: 'no', previews_hidden: 'x' }));
    expect(p.font_size).toBe(18);
    expect(p.density).toBe('compact');
    expect(p.nick_colors).toBe(true);
    expect(p.previews_hidden).toEqual([]);
  });
});

describe('legacyChanges', () => {
  it('carries the old per-browser choices into the account once', () => {
    const old: Record<string, string> = {
      'convos.typing': 'off',
      'convos.pasteLines': '7',
      'convos.previews': 'images',
      'convos.previewsHidden': '["irc-x/#a"]',
    };
    const next = legacyChanges((k) => old[k] ?? null, DEFAULT_PREFS);
    expect(next).toMatchObject({ send_typing: false, paste_lines: 7, previews: 'images', previews_hidden: ['irc-x/#a'] });
    expect(legacyChanges(() => null, DEFAULT_PREFS)).toBeNull();
  });
});

describe('displayClasses', () => {
  it('marks compact lines and plain nicks', () => {
    expect(displayClasses(DEFAULT_PREFS)).toEqual({ compact: false, 'plain-nicks': false });
    expect(displayClasses({ ...DEFAULT_PREFS, density: 'compact', nick_colors: false })).toEqual({ compact: true, 'plain-nicks': true });
  });
});
