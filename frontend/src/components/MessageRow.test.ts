import { render } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { message } from '../lib/fixtures';
import type { Message } from '../lib/types';
import MessageRow from './MessageRow.svelte';

const msg = (o: Partial<Message>): Message => message({ id: 1, ts: '2026-01-01T12:00:00Z', from: 'alice', ...o });
const row = (m: Message) => ({ kind: 'msg' as const, key: `m${m.id}`, msg: m, head: true });

describe('MessageRow', () => {
  it('names who changed the topic once, whether or not the text starts with the nick', () => {
    for (const message of ['alice changed the topic to: hello', 'changed the topic to: hello']) {
      const { container, unmount } = render(MessageRow, { row: row(msg({ type: 'topic', message })) });
      expect(container.querySelector('.sys-text')?.textContent?.replace(/\s+/g, ' ').trim()).toBe(
        'alice changed the topic to: hello',
      );
      unmount();
    }
  });

  it('shows call log lines as state lines; a missed call stands out', () => {
    const started = render(MessageRow, { row: row(msg({ type: 'call', message: 'alice started a call.' })) });
    expect(started.container.querySelector('.system.call .sys-text')?.textContent?.replace(/\s+/g, ' ').trim()).toBe('alice started a call.');
    started.unmount();
    const missed = render(MessageRow, {
      row: row(msg({ type: 'call', from: '', highlight: true, message: 'Missed call from alice — 2 min, 2 participants.' })),
    });
    expect(missed.container.querySelector('.system.call.highlight')?.textContent).toContain('Missed call from alice');
    missed.unmount();
  });
});
