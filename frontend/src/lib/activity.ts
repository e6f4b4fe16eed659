// Whether the user is active in this browser: the page is visible and was used (key,
// pointer, focus) in the last few minutes. The server is told on every change and on every
// (re)connect; with no active browser the user is marked away (auto-away), and later the
// same signal decides whether a push notification is needed.

/** Idle after this long without input. */
export const IDLE_MS = 5 * 60_000;

export class Activity {
  private lastInput: number;
  private sent: boolean | null = null;

  constructor(
    private send: (active: boolean) => void,
    now: number,
  ) {
    this.lastInput = now;
  }

  /** The user did something. */
  input(now: number, visible: boolean): void {
    this.lastInput = now;
    this.update(now, visible);
  }

  /** Re-evaluates (visibility changed, a timer ticked); sends only changes. */
  update(now: number, visible: boolean): void {
    const active = visible && now - this.lastInput < IDLE_MS;
    if (active !== this.sent) {
      this.sent = active;
      this.send(active);
    }
  }

  /** A new socket knows nothing: send the current state again. */
  reconnected(now: number, visible: boolean): void {
    this.sent = null;
    this.update(now, visible);
  }
}
