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
    expect(splitHits('a.b', ['.'])).toEqual([
      { text: 'a', hit: false },
      { text: '.', hit: true },
      { text: 'b', hit: false },
    ]);
    expect(splitHits('x', [])).toEqual([{ text: 'x', hit: false }]);
  });
});
