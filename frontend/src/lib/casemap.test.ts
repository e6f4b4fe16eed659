import { describe, expect, test } from 'vitest';
import table from '../../../proto/tests/data/casemapping.json';
import { fold, same } from './casemap';

describe('casemap', () => {
  test('folds every case of the table irc-proto is tested against', () => {
    expect(table.cases.length).toBeGreaterThanOrEqual(8);
    for (const c of table.cases) expect(fold(c.mapping, c.input), `${c.mapping} ${c.input}`).toBe(c.folded);
  });

  test('same names under a mapping', () => {
    expect(same('rfc1459', 'Bob[away]', 'bob{AWAY}')).toBe(true);
    expect(same('ascii', 'Bob[away]', 'bob{away}')).toBe(false);
    expect(same(undefined, 'A~', 'a^')).toBe(true);
  });
});
