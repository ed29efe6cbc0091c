/** A tiny data-loading hook: runs `load` when `deps` change and on `reload()`. */
import { useCallback, useEffect, useState } from 'react';
import type { DependencyList } from 'react';
import { errorMessage } from '../services/client';

/** The state of one load. */
export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  /** Runs the load again (after a change). */
  reload: () => void;
  /** Replaces the data locally (e.g. with a mutation's answer). */
  setData: (data: T) => void;
}

/** Loads data; stale answers (from older `deps`) are dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    load().then(
      (value) => {
        if (cancelled) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (cancelled) return;
        setError(errorMessage(e));
        setLoading(false);
      },
    );
    return () => {
      cancelled = true;
    };
    // `load` is rebuilt on every render; `deps` say when it really changes.
  }, [...deps, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, reload, setData };
}
