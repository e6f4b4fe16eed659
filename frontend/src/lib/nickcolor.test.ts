import { describe, expect, it } from 'vitest';
import { BACKGROUNDS, contrast, hexToRgb, nickColors, nickHash, parseHsl } from './nickcolor';

describe('nick colours', () => {
  it('are deterministic and case-insensitive', () => {
    expect(nickColors('Alice')).toEqual(nickColors('alice'));
    expect(nickHash('alice')).toBe(nickHash('ALICE'));
    expect(nickHash('alice')).not.toBe(nickHash('bob'));
  });
  it('keep AA contrast on every background of both themes', () => {
    for (let i = 0; i < 400; i++) {
      const c = nickColors(`nick${i}`);
      for (const theme of ['light', 'dark'] as const) {
        const rgb = parseHsl(c[theme]);
        for (const bg of BACKGROUNDS[theme]) {
          expect(contrast(rgb, hexToRgb(bg))).toBeGreaterThanOrEqual(4.5);
        }
      }
    }
  });
  it('spread hues', () => {
    const hues = new Set(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => nickColors(n).light.split(' ')[0]));
    expect(hues.size).toBeGreaterThan(4);
  });
});
