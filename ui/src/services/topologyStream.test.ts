/** Tests of the live stream subscription: batching, resync, reconnection, closing. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeEventSource } from '../test/fakeEventSource';
import { subscribeTopology } from './topologyStream';
import type { StreamStatus } from './topologyStream';

function subscribe() {
  const refresh = vi.fn();
  const statuses: StreamStatus[] = [];
  const close = subscribeTopology(
    '/api/v1/topology/stream',
    { refresh, status: (s) => statuses.push(s) },
    { quietMs: 500, maxWaitMs: 2000, retryDelaysMs: [1000, 4000], connect: (url) => new FakeEventSource(url) },
  );
  return { refresh, statuses, close };
}

describe('subscribeTopology', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeEventSource.instances = [];
  });
  afterEach(() => vi.useRealTimers());

  it('batches changes: one refresh once the stream is quiet', () => {
    const { refresh, statuses } = subscribe();
    const stream = FakeEventSource.latest();
    expect(stream.url).toBe('/api/v1/topology/stream');
    expect(statuses).toEqual(['connecting']);
    stream.open();
    expect(statuses).toEqual(['connecting', 'live']);
    expect(refresh).not.toHaveBeenCalled();
    for (let i = 0; i < 5; i++) {
      stream.emit('change', { sensor_id: 's1', kind: 'report', sequence: i, snapshot: false });
      vi.advanceTimersByTime(100);
    }
    expect(refresh).not.toHaveBeenCalled();
    vi.advanceTimersByTime(500);
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('refreshes at the latest after maxWait when changes never stop', () => {
    const { refresh } = subscribe();
    const stream = FakeEventSource.latest();
    stream.open();
    for (let t = 0; t < 2100; t += 300) {
      stream.emit('change');
      vi.advanceTimersByTime(300);
    }
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('closes for good when the console ends the stream', () => {
    const { refresh, statuses } = subscribe();
    const stream = FakeEventSource.latest();
    stream.open();
    stream.emit('change');
    stream.emit('end', 'your session ended or your token was revoked; sign in again');
    expect(statuses.at(-1)).toBe('ended');
    vi.advanceTimersByTime(60_000);
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(refresh).not.toHaveBeenCalled();
  });

  it('refreshes at once on resync', () => {
    const { refresh } = subscribe();
    const stream = FakeEventSource.latest();
    stream.open();
    stream.emit('change');
    stream.emit('resync', '12');
    expect(refresh).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(5000);
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('shows a browser retry as reconnecting and refreshes when back', () => {
    const { refresh, statuses } = subscribe();
    const stream = FakeEventSource.latest();
    stream.open();
    stream.fail(false);
    expect(statuses.at(-1)).toBe('reconnecting');
    expect(FakeEventSource.instances).toHaveLength(1);
    stream.open();
    expect(statuses.at(-1)).toBe('live');
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('reconnects by itself with growing delays when the browser gave up', () => {
    const { refresh, statuses } = subscribe();
    FakeEventSource.latest().open();
    FakeEventSource.latest().fail(true);
    expect(FakeEventSource.instances[0].closed).toBe(true);
    vi.advanceTimersByTime(999);
    expect(FakeEventSource.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeEventSource.instances).toHaveLength(2);
    FakeEventSource.latest().fail(true);
    vi.advanceTimersByTime(3999);
    expect(FakeEventSource.instances).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeEventSource.instances).toHaveLength(3);
    FakeEventSource.latest().open();
    expect(statuses.at(-1)).toBe('live');
    // Changes made while disconnected were missed: fetch the view again.
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('stops everything when closed', () => {
    const { refresh, close } = subscribe();
    const stream = FakeEventSource.latest();
    stream.open();
    stream.emit('change');
    close();
    expect(stream.closed).toBe(true);
    vi.advanceTimersByTime(10_000);
    expect(refresh).not.toHaveBeenCalled();
    stream.fail(true);
    vi.advanceTimersByTime(60_000);
    expect(FakeEventSource.instances).toHaveLength(1);
  });
});
