import { describe, expect, it } from 'vitest';
import { isLong, LONG_LINE } from './prefs.svelte';

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
