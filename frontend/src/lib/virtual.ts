//! Geometry of a windowed list with measured row heights: prefix sums over the heights
//! (measured, else estimated), the visible index range for a scroll position, and the
//! scroll correction that keeps an anchor row still when rows above it change.

export class Layout {
  private heights = new Map<string, number>();
  keys: readonly string[] = [];
  offsets = new Float64Array(1);

  constructor(private estimate: (index: number) => number = () => 32) {}

  /** Sets the rows (by key); measured heights of kept keys are reused. */
  setKeys(keys: readonly string[], estimate?: (index: number) => number): void {
    this.keys = keys;
    if (estimate) this.estimate = estimate;
    this.recompute();
  }

  /** Records a measured height; true when it changed. Call `recompute` after a batch. */
  measure(key: string, h: number): boolean {
    if (this.heights.get(key) === h) return false;
    this.heights.set(key, h);
    return true;
  }

  height(index: number): number {
    const key = this.keys[index];
    return (key !== undefined && this.heights.get(key)) || this.estimate(index);
  }

  recompute(): void {
    const n = this.keys.length;
    const o = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) o[i + 1] = (o[i] as number) + this.height(i);
    this.offsets = o;
  }

  get total(): number {
    return this.offsets[this.keys.length] ?? 0;
  }

  offset(index: number): number {
    return this.offsets[Math.max(0, Math.min(index, this.keys.length))] ?? 0;
  }

  /** The index of the row at `y` (the last row whose top is ≤ y). */
  indexAt(y: number): number {
    let lo = 0;
    let hi = this.keys.length - 1;
    if (hi < 0) return 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.offsets[mid] as number) <= y) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Rows [start, end) to render for a viewport, with `overscan` pixels on each side. */
  range(scrollTop: number, height: number, overscan: number): [number, number] {
    const n = this.keys.length;
    if (n === 0) return [0, 0];
    const start = this.indexAt(Math.max(0, scrollTop - overscan));
    const end = Math.min(n, this.indexAt(scrollTop + height + overscan) + 1);
    return [start, end];
  }

  /** The anchor for a scroll position: the first row still visible, and how far in. */
  anchor(scrollTop: number): { key: string; delta: number } | null {
    if (this.keys.length === 0) return null;
    const i = this.indexAt(scrollTop);
    const key = this.keys[i];
    return key === undefined ? null : { key, delta: scrollTop - this.offset(i) };
  }

  /** The scrollTop that puts the anchor back where it was, or null if it is gone. */
  restore(a: { key: string; delta: number }, keyIndex: Map<string, number>): number | null {
    const i = keyIndex.get(a.key);
    return i === undefined ? null : this.offset(i) + a.delta;
  }
}
