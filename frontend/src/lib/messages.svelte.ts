//! Loaded message history per conversation: pages backwards (`before`), forwards
//! (`after`), around a message (`around`), and merges live messages without duplicates.
//! A buffer that is not at the present (after a jump) ignores live messages until it pages
//! forward to the end, so it never shows a gap.

import { api } from './api';
import { mergeMessages } from './grouping';
import type { Message, MessagePage } from './types';

export const PAGE = 100;

/** The key of a conversation in maps. */
export function convKey(cid: string, conversationId: string): string {
  return `${cid}\n${conversationId.toLowerCase()}`;
}

export type Loader = (
  cid: string,
  conversationId: string,
  params: { before?: number; after?: number; around?: number; limit?: number },
) => Promise<Pick<MessagePage, 'messages' | 'end'>>;

export class Buffer {
  messages = $state.raw<Message[]>([]);
  /** Nothing older exists on the server. */
  startReached = $state(false);
  /** The newest message is loaded, so live messages can be appended. */
  atPresent = $state(false);
  loading = $state<'initial' | 'older' | 'newer' | null>(null);
  error = $state('');
  /** Set after a jump: the list scrolls this message into view. */
  focusId = $state<number | null>(null);
  loaded = $state(false);
  private generation = 0;
  /** Live messages that came while the newest page was loading: merged when it lands. */
  private arrivedWhileLoading: Message[] = [];

  constructor(
    readonly cid: string,
    readonly conversationId: string,
    private readonly load: Loader,
  ) {}

  /** Loads the newest page, replacing what is there. */
  async loadLatest(): Promise<void> {
    await this.replace({ limit: PAGE }, null);
  }

  /** Loads the page around `id` and asks the list to show it. */
  async loadAround(id: number): Promise<void> {
    await this.replace({ around: id, limit: PAGE }, id);
  }

  private async replace(params: { around?: number; limit: number }, focus: number | null) {
    const gen = ++this.generation;
    this.loading = 'initial';
    this.error = '';
    this.arrivedWhileLoading = [];
    try {
      const page = await this.load(this.cid, this.conversationId, params);
      if (gen !== this.generation) return;
      // The page may have been read before a message that arrived meanwhile was stored.
      const arrived = params.around === undefined ? this.arrivedWhileLoading : [];
      this.arrivedWhileLoading = [];
      this.messages = mergeMessages(page.messages, arrived);
      if (params.around === undefined) {
        this.startReached = page.end;
        this.atPresent = true;
      } else {
        // `end` is about one side only; page on both sides until the server says empty.
        this.startReached = false;
        this.atPresent = false;
      }
      this.focusId = focus;
      this.loaded = true;
    } catch (e) {
      if (gen === this.generation) this.error = (e as Error).message;
    } finally {
      if (gen === this.generation) this.loading = null;
    }
  }

  /** Loads the page before the oldest loaded message. */
  async loadOlder(): Promise<void> {
    if (this.loading || this.startReached) return;
    const first = this.messages[0];
    if (!first) return this.loadLatest();
    const gen = this.generation;
    this.loading = 'older';
    try {
      const page = await this.load(this.cid, this.conversationId, { before: first.id, limit: PAGE });
      if (gen !== this.generation) return;
      this.messages = mergeMessages(this.messages, page.messages);
      this.startReached = page.end || page.messages.length === 0;
    } catch (e) {
      if (gen === this.generation) this.error = (e as Error).message;
    } finally {
      if (gen === this.generation) this.loading = null;
    }
  }

  /** Loads the page after the newest loaded message (after a jump into the past). */
  async loadNewer(): Promise<void> {
    if (this.loading || this.atPresent) return;
    const last = this.messages[this.messages.length - 1];
    if (!last) return this.loadLatest();
    const gen = this.generation;
    this.loading = 'newer';
    try {
      const page = await this.load(this.cid, this.conversationId, { after: last.id, limit: PAGE });
      if (gen !== this.generation) return;
      this.messages = mergeMessages(this.messages, page.messages);
      this.atPresent = page.end || page.messages.length === 0;
    } catch (e) {
      if (gen === this.generation) this.error = (e as Error).message;
    } finally {
      if (gen === this.generation) this.loading = null;
    }
  }

  /**
   * Adds a live message in its place by id (a replayed line can belong before newer ones);
   * ignored while the buffer is not at the present, or when it belongs before the oldest
   * loaded message (paging older brings it, without a gap).
   */
  add(msg: Message): boolean {
    if (this.loading === 'initial') {
      this.arrivedWhileLoading.push(msg);
      return false;
    }
    if (!this.atPresent) return false;
    const first = this.messages[0];
    if (first && msg.id < first.id && !this.startReached) return false;
    this.messages = mergeMessages(this.messages, [msg]);
    return true;
  }

  clear(): void {
    this.generation++;
    this.messages = [];
    this.startReached = true;
    this.atPresent = true;
    this.loading = null;
  }
}

export class MessageStore {
  private buffers = new Map<string, Buffer>();

  constructor(private readonly load: Loader = api.messages) {}

  /** The buffer of a conversation, created empty on first use. */
  get(cid: string, conversationId: string): Buffer {
    const key = convKey(cid, conversationId);
    let b = this.buffers.get(key);
    if (!b) {
      b = new Buffer(cid, conversationId, this.load);
      this.buffers.set(key, b);
    }
    return b;
  }

  peek(cid: string, conversationId: string): Buffer | undefined {
    return this.buffers.get(convKey(cid, conversationId));
  }

  /** Routes a live message to its buffer, if that buffer was ever opened. */
  add(msg: Message): void {
    this.peek(msg.connection_id, msg.conversation_id)?.add(msg);
  }

  /** Forgets every buffer (after a resync); open views reload theirs. */
  reset(): void {
    for (const b of this.buffers.values()) {
      b.clear();
      b.loaded = false;
      b.atPresent = false;
      b.startReached = false;
    }
  }

  drop(cid: string, conversationId: string): void {
    this.buffers.delete(convKey(cid, conversationId));
  }
}
