//! Who is speaking (issue 25): picks the active speaker from audio levels read several
//! times a second (the AnalyserNode meters of calls.svelte.ts). Levels are smoothed (a
//! peak that decays by `DECAY` a reading, so the gaps between syllables do not count as
//! silence), and a participant becomes the active speaker after being the loudest, above
//! the speaking threshold, for `HOLD` readings in a row, so a cough or a word in between
//! does not flip the speaker layout. Pure: fed levels, answers.

/** Level (0..1 after the meter's scaling) from which a participant counts as speaking;
 *  the same threshold lights the tile's outline (CallTile.svelte). */
export const SPEAKING = 0.06;
/** Readings in a row (at 150 ms: about half a second). */
export const HOLD = 3;
/** Smoothing: the remembered peak keeps this share of itself each reading. */
export const DECAY = 0.8;

export class SpeakerPicker {
  current = '';
  private candidate = '';
  private count = 0;
  private smooth = new Map<string, number>();

  /** One reading: id → level. Returns the active speaker's id ('' before anyone spoke). */
  sample(levels: ReadonlyMap<string, number>): string {
    let loudest = '';
    let best = SPEAKING;
    const smooth = new Map<string, number>();
    for (const [id, raw] of levels) {
      const level = Math.max(raw, (this.smooth.get(id) ?? 0) * DECAY);
      smooth.set(id, level);
      if (level > best) {
        best = level;
        loudest = id;
      }
    }
    this.smooth = smooth;
    if (this.current && !levels.has(this.current)) this.current = '';
    if (!loudest || loudest === this.current) {
      this.candidate = '';
      this.count = 0;
      return this.current;
    }
    if (loudest !== this.candidate) {
      this.candidate = loudest;
      this.count = 0;
    }
    if (++this.count >= HOLD) {
      this.current = loudest;
      this.candidate = '';
      this.count = 0;
    }
    return this.current;
  }
}
