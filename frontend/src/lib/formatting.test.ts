import { describe, expect, it } from 'vitest';
import { colorHex, parseFormatting, PLAIN, stripFormatting, styleCss, type Style } from './formatting';

const st = (o: Partial<Style> = {}): Style => ({ ...PLAIN, ...o });

// The same table as irc-proto's formatting.rs `parse_table`.
const cases: [string, [string, Style][]][] = [
  ['plain', [['plain', st()]]],
  ['a\x02b\x02c', [['a', st()], ['b', st({ bold: true })], ['c', st()]]],
  ['\x1di\x1fu\x0fx', [['i', st({ italic: true })], ['u', st({ italic: true, underline: true })], ['x', st()]]],
  [
    '\x1es\x11m\x16r',
    [
      ['s', st({ strikethrough: true })],
      ['m', st({ strikethrough: true, monospace: true })],
      ['r', st({ strikethrough: true, monospace: true, reverse: true })],
    ],
  ],
  ['\x034red', [['red', st({ fg: 4 })]]],
  ['\x0304,12x', [['x', st({ fg: 4, bg: 12 })]]],
  ['\x0399,99x', [['x', st()]]],
  ['\x0352x', [['x', st({ fg: 52 })]]],
  ['\x03123', [['3', st({ fg: 12 })]]],
  ['\x034,x', [[',x', st({ fg: 4 })]]],
  ['\x034,5a\x03b', [['a', st({ fg: 4, bg: 5 })], ['b', st()]]],
  ['\x034,5a\x036b', [['a', st({ fg: 4, bg: 5 })], ['b', st({ fg: 6, bg: 5 })]]],
  ['\x03,5x', [[',5x', st()]]],
  ['\x04ff8800hex', [['hex', st({ fg: '#ff8800' })]]],
  ['\x04FF8800,000000x', [['x', st({ fg: '#ff8800', bg: '#000000' })]]],
  ['\x04ff88x', [['ff88x', st()]]],
  ['\x02\x02', []],
  ['é\x02ü', [['é', st()], ['ü', st({ bold: true })]]],
  ['\x03', []],
  ['\x04', []],
  ['', []],
];

describe('parseFormatting', () => {
  for (const [input, want] of cases) {
    it(JSON.stringify(input), () => {
      expect(parseFormatting(input).map((s) => [s.text, s.style])).toEqual(want);
    });
  }
});

describe('stripFormatting', () => {
  const strip: [string, string][] = [
    ['\x02bold\x0f end', 'bold end'],
    ['\x034,2red\x03 plain', 'red plain'],
    ['\x04ff8800hex', 'hex'],
    ['\x0312,04\x02\x1d\x1f\x1e\x11\x16x', 'x'],
    ['plain text', 'plain text'],
    ['\x01ACTION keeps ctcp\x01', '\x01ACTION keeps ctcp\x01'],
  ];
  for (const [input, want] of strip) {
    it(JSON.stringify(input), () => expect(stripFormatting(input)).toBe(want));
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
