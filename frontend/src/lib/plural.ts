//! Counts in words: "1 result", "2 results". English only, like the rest of the UI.

/** `n` followed by `one` or `many` (default: `one` + "s"), e.g. `plural(1, 'result')`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
