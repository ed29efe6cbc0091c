/**
 * Sorting and paging of rows held in the browser, for lists the console answers whole
 * (`GET /sensors`, topology views): the same `sort=field` / `sort=-field`, `limit` and
 * `offset` semantics as the console's list endpoints.
 */

/** A sort order: a field name, with `-` in front for descending. */
export type SortOrder = string;

/** Splits `-field` into its field and direction. */
export function parseSort(sort: SortOrder): { field: string; descending: boolean } {
  return sort.startsWith('-') ? { field: sort.slice(1), descending: true } : { field: sort, descending: false };
}

/** The order after clicking a column header: the same field flips, a new field starts ascending. */
export function nextSort(current: SortOrder, field: string): SortOrder {
  const { field: now, descending } = parseSort(current);
  if (now !== field) return field;
  return descending ? field : `-${field}`;
}

type Sortable = string | number | null | undefined;

function compare(a: Sortable, b: Sortable): number {
  // Missing values go last whatever the direction is.
  if (a === null || a === undefined || a === '') return b === null || b === undefined || b === '' ? 0 : 1;
  if (b === null || b === undefined || b === '') return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: 'base' });
}

/**
 * A sorted copy of `rows`; `fields` maps each sortable field to the value compared. Ties keep
 * the input order (the sort is stable), an unknown field leaves the order unchanged.
 */
export function sortRows<T>(rows: readonly T[], sort: SortOrder, fields: Record<string, (row: T) => Sortable>): T[] {
  const { field, descending } = parseSort(sort);
  const get = fields[field];
  if (!get) return [...rows];
  return [...rows].sort((x, y) => {
    const a = get(x);
    const b = get(y);
    const missingA = a === null || a === undefined || a === '';
    const missingB = b === null || b === undefined || b === '';
    if (missingA || missingB) return compare(a, b);
    return descending ? compare(b, a) : compare(a, b);
  });
}

/** One page of rows, with the envelope of the console's lists. */
export function pageOf<T>(rows: readonly T[], limit: number, offset: number): { items: T[]; total: number; limit: number; offset: number } {
  // An offset past the end (the list shrank) shows the last page.
  const lastStart = rows.length === 0 ? 0 : Math.floor((rows.length - 1) / limit) * limit;
  const start = Math.min(Math.max(0, offset), lastStart);
  return { items: rows.slice(start, start + limit), total: rows.length, limit, offset: start };
}
