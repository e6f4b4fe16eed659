import { describe, expect, it } from 'vitest';
import { Layout } from './virtual';

const keys = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `k${i + from}`);

describe('Layout', () => {
  it('sums estimates and measurements', () => {
    const l = new Layout(() => 20);
    l.setKeys(keys(5));
    expect(l.total).toBe(100);
    expect(l.measure('k1', 50)).toBe(true);
    expect(l.measure('k1', 50)).toBe(false);
    l.recompute();
    expect(l.total).toBe(130);
    expect(l.offset(2)).toBe(70);
  });

  it('finds the visible range', () => {
    const l = new Layout(() => 10);
    l.setKeys(keys(100));
    expect(l.indexAt(0)).toBe(0);
    expect(l.indexAt(15)).toBe(1);
    expect(l.indexAt(5000)).toBe(99);
    expect(l.range(500, 100, 0)).toEqual([50, 61]);
    expect(l.range(0, 100, 50)).toEqual([0, 16]);
    expect(new Layout().range(0, 100, 10)).toEqual([0, 0]);
  });

  it('keeps the anchor row still when rows are prepended', () => {
    const l = new Layout(() => 10);
    l.setKeys(keys(50, 100));
    const a = l.anchor(205)!;
    expect(a).toEqual({ key: 'k120', delta: 5 });
    l.setKeys([...keys(100, 0), ...keys(50, 100)]);
    const idx = new Map(l.keys.map((k, i) => [k, i]));
    expect(l.restore(a, idx)).toBe(1205);
  });

  it('handles 100k rows', () => {
    const l = new Layout(() => 24);
    const ks = keys(100_000);
    l.setKeys(ks);
    for (let i = 0; i < 100; i++) l.measure(`k${i}`, 30);
    l.recompute();
    l.range(1_000_000, 800, 400);
    expect(l.total).toBe(100_000 * 24 + 600);
    expect(l.range(1_000_000, 800, 400)[1] - l.range(1_000_000, 800, 400)[0]).toBeLessThan(100);
  });
});
