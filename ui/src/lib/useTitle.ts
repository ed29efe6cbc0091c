/** Sets the browser tab title for the current page. */
import { useEffect } from 'react';

/** `Users · Vedette` style titles. */
export function useTitle(page: string): void {
  useEffect(() => {
    document.title = `${page} · Vedette`;
  }, [page]);
}
