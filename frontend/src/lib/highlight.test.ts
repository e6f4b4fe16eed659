import { describe, expect, it } from 'vitest';
import { parseQuery, splitHits } from './highlight';

describe('search helpers', () => {
  it('parses filters', () => {
    expect(parseQuery('from:bob in:#rust tokio  "async"')).toEqual({ terms: ['tokio', 'async'], from: 'bob', in: '#rust' });
  });
  it('marks hits without HTML', () => {
    expect(splitHits('Hello <b>hello</b>', ['hello'])).toEqual([
      { text: 'Hello', hit: true },
      { text: ' <b>', hit: false },
      { text: 'hello', hit: true },
      { text: '</b>', hit: false },
    ]);
    expect(splitHits('a.b', ['.'])).toEqual([{ text: 'a.b', hit: false }]);
    expect(splitHits('x', [])).toEqual([{ text: 'x', hit: false }]);
  });
  it('marks whole words, prefixes with *, and unspaced scripts anywhere, as the search matched', () => {
    const marked = (text: string, terms: string[]) =>
      splitHits(text, terms)
        .filter((h) => h.hit)
        .map((h) => h.text);
    expect(marked('the history of hist', ['hist'])).toEqual(['hist']);
    expect(marked('the history of hist', ['hist*'])).toEqual(['history', 'hist']);
    expect(marked('Ünïcode ünïcode', ['ünïcode'])).toEqual(['Ünïcode', 'ünïcode']);
    expect(marked('東京都に住んでいます', ['東京'])).toEqual(['東京']);
    expect(marked('c++ and c', ['c'])).toEqual(['c', 'c']);
  });
});
