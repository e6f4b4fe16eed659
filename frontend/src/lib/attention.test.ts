import { describe, expect, it } from 'vitest';
import { attentionLabel, pageTitle, type Attention } from './attention';

const a = (mentions: number, privates: number, unread: number): Attention => ({ mentions, privates, unread });

describe('attention', () => {
  const cases: [Attention, string, string][] = [
    [a(0, 0, 0), 'Convos', ''],
    [a(0, 0, 5), 'Convos', '5 unread messages'],
    [a(0, 0, 1), 'Convos', '1 unread message'],
    [a(1, 0, 1), '(1) Convos', '1 unread mention'],
    [a(3, 0, 9), '(3) Convos', '3 unread mentions'],
    [a(0, 1, 1), '(1) Convos', '1 unread private message'],
    [a(2, 1, 4), '(3) Convos', '2 unread mentions and 1 unread private message'],
  ];
  for (const [input, title, label] of cases) {
    it(label || 'nothing', () => {
      expect(pageTitle(input)).toBe(title);
      expect(attentionLabel(input)).toBe(label);
    });
  }
});
