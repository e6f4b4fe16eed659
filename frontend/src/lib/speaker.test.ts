import { describe, expect, it } from 'vitest';
import { HOLD, SpeakerPicker } from './speaker';

const m = (o: Record<string, number>) => new Map(Object.entries(o));

describe('SpeakerPicker', () => {
  it('picks the loudest after it held for a few readings', () => {
    const p = new SpeakerPicker();
    for (let i = 0; i < HOLD - 1; i++) expect(p.sample(m({ a: 0.3, b: 0.1 }))).toBe('');
    expect(p.sample(m({ a: 0.3, b: 0.1 }))).toBe('a');
  });
  it('a short burst from someone else does not switch; a longer one does', () => {
    const p = new SpeakerPicker();
    for (let i = 0; i < HOLD; i++) p.sample(m({ a: 0.3, b: 0 }));
    expect(p.sample(m({ a: 0.3, b: 0.35 }))).toBe('a');
    expect(p.sample(m({ a: 0.3, b: 0 }))).toBe('a');
    for (let i = 0; i < HOLD - 1; i++) expect(p.sample(m({ a: 0, b: 0.5 }))).toBe('a');
    expect(p.sample(m({ a: 0, b: 0.5 }))).toBe('b');
  });
  it('a short sound still counts for a while (smoothed), so beeps or syllables hold', () => {
    const p = new SpeakerPicker();
    p.sample(m({ a: 0.3 }));
    expect(p.sample(m({ a: 0 }))).toBe('');
    expect(p.sample(m({ a: 0 }))).toBe('a');
  });
  it('silence keeps the last speaker; one who left is dropped', () => {
    const p = new SpeakerPicker();
    for (let i = 0; i < HOLD; i++) p.sample(m({ a: 0.3 }));
    for (let i = 0; i < 20; i++) expect(p.sample(m({ a: 0 }))).toBe('a');
    expect(p.sample(m({ b: 0.01 }))).toBe('');
  });
});
