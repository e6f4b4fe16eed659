import { describe, expect, it } from 'vitest';
import { isSafeHref, linkify } from './linkify';

describe('linkify', () => {
  const cases: [string, [string, string?][]][] = [
    ['no links', [['no links']]],
    ['see https://example.com.', [['see '], ['https://example.com', 'https://example.com'], ['.']]],
    ['(http://a.b/c_(d)) x', [['('], ['http://a.b/c_(d)', 'http://a.b/c_(d)'], [') x']]],
    ['irc://irc.libera.chat/#convos', [['irc://irc.libera.chat/#convos', 'irc://irc.libera.chat/#convos']]],
    ['javascript:alert(1)', [['javascript:alert(1)']]],
    ['x javascript://%0aalert(1)', [['x javascript://%0aalert(1)']]],
    ['data:text/html,<b>', [['data:text/html,<b>']]],
    ['<a href="https://e.com">', [['<a href="'], ['https://e.com', 'https://e.com'], ['">']]],
    ['two http://a.io and https://b.io!', [['two '], ['http://a.io', 'http://a.io'], [' and '], ['https://b.io', 'https://b.io'], ['!']]],
    ['see www.example.org.', [['see '], ['www.example.org', 'https://www.example.org'], ['.']]],
    ['(www.example.org/a?b=1)', [['('], ['www.example.org/a?b=1', 'https://www.example.org/a?b=1'], [')']]],
    ['WWW.Example.ORG:8080/x, ok', [['WWW.Example.ORG:8080/x', 'https://WWW.Example.ORG:8080/x'], [', ok']]],
    ['open file.txt or notes.md', [['open file.txt or notes.md']]],
    ['www. and www.localhost and www.x.1', [['www. and www.localhost and www.x.1']]],
    ['me@www.example.org', [['me@www.example.org']]],
    ['sub.www.example.org', [['sub.www.example.org']]],
    ['https://www.example.org/x', [['https://www.example.org/x', 'https://www.example.org/x']]],
  ];
  for (const [input, want] of cases) {
    it(input, () => {
      expect(linkify(input).map((p) => (p.href ? [p.text, p.href] : [p.text]))).toEqual(want);
    });
  }
  it('accepts only safe schemes', () => {
    expect(isSafeHref('https://x.y')).toBe(true);
    expect(isSafeHref('ircs://x.y:6697')).toBe(true);
    expect(isSafeHref('javascript:alert(1)')).toBe(false);
    expect(isSafeHref('JaVaScRiPt:alert(1)')).toBe(false);
    expect(isSafeHref('vbscript:x')).toBe(false);
  });
});
