import { describe, expect, it } from 'vitest';
import { parseFormatting } from './formatting';
import { BOLD, codeForKey, colorCode, COLOR, wrap } from './typeformat';

describe('typing formatting', () => {
  it('wraps the selection, or starts a run at the cursor', () => {
    expect(wrap('say hi now', 4, 6, BOLD)).toEqual({ text: `say ${BOLD}hi${BOLD} now`, start: 5, end: 7 });
    expect(wrap('hi', 2, 2, BOLD)).toEqual({ text: `hi${BOLD}`, start: 3, end: 3 });
    expect(wrap('hi', 9, 1, BOLD).text).toBe(`h${BOLD}i${BOLD}`);
  });

  it('maps Ctrl+B/I/U and nothing else', () => {
    expect(['b', 'I', 'u', 'k'].map(codeForKey)).toEqual(['\x02', '\x1d', '\x1f', null]);
  });

  it('writes colours with two digits, which the renderer reads back', () => {
    expect(colorCode(4)).toBe(`${COLOR}04`);
    const r = wrap('5 apples', 0, 8, colorCode(4), COLOR);
    const spans = parseFormatting(r.text);
    expect(spans.map((s) => s.text).join('')).toBe('5 apples');
    expect(spans[0]?.style.fg).toBe(4);
  });
});
