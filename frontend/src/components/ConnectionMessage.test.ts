import { render } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import ConnectionMessage from './ConnectionMessage.svelte';

describe('ConnectionMessage', () => {
  afterEach(() => vi.useRealTimers());

  it('counts "Reconnecting in Ns." down each second', () => {
    vi.useFakeTimers({ now: 50_000 });
    const { container } = render(ConnectionMessage, { message: 'Ping timeout Reconnecting in 3s.', deadline: 53_000 });
    const shown = () => container.querySelector('[aria-hidden="true"]')?.textContent;
    expect(shown()).toBe('Ping timeout Reconnecting in 3s.');
    vi.advanceTimersByTime(1000);
    flushSync();
    expect(shown()).toBe('Ping timeout Reconnecting in 2s.');
    vi.advanceTimersByTime(2000);
    flushSync();
    expect(shown()).toBe('Ping timeout Reconnecting…');
    // Screen readers keep the message as sent instead of a change every second.
    expect(container.querySelector('.visually-hidden')?.textContent).toBe('Ping timeout Reconnecting in 3s.');
  });

  it('shows other messages as they are', () => {
    const { container } = render(ConnectionMessage, { message: 'Connection refused', deadline: 0 });
    expect(container.textContent).toBe('Connection refused');
  });
});
