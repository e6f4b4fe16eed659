import { describe, expect, it } from 'vitest';
import fixture from '../../../proto/tests/data/formatting.json';
import { colorHex, parseFormatting, PLAIN, stripFormatting, styleCss, type Style } from './formatting';

const st = (o: Partial<Style> = {}): Style => ({ ...PLAIN, ...o });

// One table for both sides: irc-proto's tests read the same file.
const table = fixture as {
  parse: { input: string; spans: { text: string; style: Partial<Style> }[] }[];
  strip: { input: string; output: string }[];
};

describe('parseFormatting', () => {
  for (const { input, spans } of table.parse) {
    it(JSON.stringify(input), () => {
      expect(parseFormatting(input).map((s) => [s.text, s.style])).toEqual(spans.map((s) => [s.text, st(s.style)]));
    });
  }
});

describe('stripFormatting', () => {
  for (const { input, output } of table.strip) {
    it(JSON.stringify(input), () => expect(stripFormatting(input)).toBe(output));
  }
});

describe('colours', () => {
  it('maps the palette like irc-proto', () => {
    expect(colorHex(0)).toBe('#ffffff');
    expect(colorHex(4)).toBe('#ff0000');
    expect(colorHex(16)).toBe('#470000');
    expect(colorHex(52)).toBe('#ff0000');
    expect(colorHex(98)).toBe('#ffffff');
    expect(colorHex('#010203')).toBe('#010203');
  });
  it('builds css, swapping on reverse', () => {
    expect(styleCss(st())).toBe('');
    expect(styleCss(st({ fg: 4, bg: 2 }))).toBe('color:#ff0000;background-color:#00007f');
    expect(styleCss(st({ fg: 4, reverse: true }))).toBe('color:var(--bg);background-color:#ff0000');
    expect(styleCss(st({ reverse: true }))).toBe('color:var(--bg);background-color:var(--fg)');
  });
});
