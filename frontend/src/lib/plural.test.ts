import { describe, expect, it } from 'vitest';
import { plural } from './plural';

describe('plural', () => {
  const cases: [number, string, string | undefined, string][] = [
    [0, 'result', undefined, '0 results'],
    [1, 'result', undefined, '1 result'],
    [2, 'result', undefined, '2 results'],
    [1, 'day', undefined, '1 day'],
    [30, 'day', undefined, '30 days'],
    [1, 'reply', 'replies', '1 reply'],
    [3, 'reply', 'replies', '3 replies'],
  ];
  for (const [n, one, many, want] of cases) {
    it(want, () => expect(plural(n, one, many)).toBe(want));
  }
});
