/**
 * The live topology change stream (`GET /topology/stream`, server-sent events), turned into
 * batched "something changed, fetch the view again" calls.
 *
 * - Every `change` event (one per applied sensor report) is collected; the view is refreshed
 *   once the stream has been quiet for `quietMs`, and at the latest `maxWaitMs` after the first
 *   pending change, so thousands of sensors reporting cause a few refreshes, not thousands.
 * - `resync` (the console dropped events for this slow reader) refreshes at once.
 * - When the connection drops the browser retries by itself; when it gives up (the console
 *   answered an error, e.g. after a restart) we reconnect with a growing delay (1 s … 30 s).
 *   After any reconnection the view is refreshed, as changes may have been missed meanwhile.
 * - `end` (the console ended the stream: the session ended, the token was revoked or the role
 *   changed) closes it for good, without reconnecting; the status becomes `ended`.
 */

/** The connection state shown to people. */
export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'ended';

/** What a subscriber is told. */
export interface StreamHandlers {
  /** Fetch the view again (batched). */
  refresh: () => void;
  /** The connection state changed. */
  status?: (status: StreamStatus) => void;
}

/** The subset of `EventSource` used here (replaceable in tests). */
export interface EventSourceLike {
  readyState: number;
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
}

/** Tuning and test seams. */
export interface StreamOptions {
  quietMs?: number;
  maxWaitMs?: number;
  /** Delays between reconnection attempts after the browser gave up; the last one repeats. */
  retryDelaysMs?: readonly number[];
  connect?: (url: string) => EventSourceLike;
}

/** `EventSource.CLOSED`, without needing the global in tests. */
const CLOSED = 2;

/** Subscribes; returns the function that closes the stream and cancels pending work. */
export function subscribeTopology(url: string, handlers: StreamHandlers, options: StreamOptions = {}): () => void {
  const quietMs = options.quietMs ?? 750;
  const maxWaitMs = options.maxWaitMs ?? 3000;
  const retryDelays = options.retryDelaysMs ?? [1000, 2000, 5000, 10_000, 30_000];
  const connect = options.connect ?? ((u: string) => new EventSource(u));

  let source: EventSourceLike | null = null;
  let closed = false;
  let quietTimer: ReturnType<typeof setTimeout> | null = null;
  let maxTimer: ReturnType<typeof setTimeout> | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let failures = 0;
  let everOpened = false;
  let status: StreamStatus | null = null;

  const setStatus = (next: StreamStatus) => {
    if (next === status) return;
    status = next;
    handlers.status?.(next);
  };

  const clearBatch = () => {
    if (quietTimer) clearTimeout(quietTimer);
    if (maxTimer) clearTimeout(maxTimer);
    quietTimer = null;
    maxTimer = null;
  };

  const flush = () => {
    clearBatch();
    if (!closed) handlers.refresh();
  };

  const changed = () => {
    if (quietTimer) clearTimeout(quietTimer);
    quietTimer = setTimeout(flush, quietMs);
    if (!maxTimer) maxTimer = setTimeout(flush, maxWaitMs);
  };

  const open = () => {
    if (closed) return;
    setStatus(everOpened ? 'reconnecting' : 'connecting');
    const es = connect(url);
    source = es;
    es.onopen = () => {
      if (source !== es) return;
      setStatus('live');
      failures = 0;
      // Changes made while we were away were not streamed to us.
      if (everOpened) flush();
      everOpened = true;
    };
    es.onerror = () => {
      if (source !== es || closed) return;
      if (es.readyState !== CLOSED) {
        // The browser retries by itself.
        setStatus('reconnecting');
        return;
      }
      es.close();
      source = null;
      setStatus('reconnecting');
      const delay = retryDelays[Math.min(failures, retryDelays.length - 1)];
      failures += 1;
      everOpened = true;
      retryTimer = setTimeout(open, delay);
    };
    es.addEventListener('change', () => {
      if (source === es) changed();
    });
    es.addEventListener('resync', () => {
      if (source === es) flush();
    });
    es.addEventListener('end', () => {
      if (source !== es) return;
      es.close();
      source = null;
      closed = true;
      clearBatch();
      setStatus('ended');
    });
  };

  open();

  return () => {
    closed = true;
    clearBatch();
    if (retryTimer) clearTimeout(retryTimer);
    source?.close();
    source = null;
  };
}
