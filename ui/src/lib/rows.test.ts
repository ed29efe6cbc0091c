/** Tests of client-side sorting and paging (the console's list semantics). */
import { describe, expect, it } from 'vitest';
import { nextSort, pageOf, parseSort, sortRows } from './rows';

const rows = [
  { name: 'web-10', seen: 3 },
  { name: 'web-2', seen: 1 },
  { name: 'db', seen: null },
  { name: 'Cache', seen: 2 },
];
const fields = { name: (r: (typeof rows)[number]) => r.name, seen: (r: (typeof rows)[number]) => r.seen };

describe('rows', () => {
  it('parses and flips sort orders', () => {
    expect(parseSort('-seen')).toEqual({ field: 'seen', descending: true });
    expect(nextSort('name', 'name')).toBe('-name');
    expect(nextSort('-name', 'name')).toBe('name');
    expect(nextSort('-name', 'seen')).toBe('seen');
  });

  it('sorts naturally, case-insensitively, missing values last in both directions', () => {
    expect(sortRows(rows, 'name', fields).map((r) => r.name)).toEqual(['Cache', 'db', 'web-2', 'web-10']);
    expect(sortRows(rows, '-name', fields).map((r) => r.name)).toEqual(['web-10', 'web-2', 'db', 'Cache']);
    expect(sortRows(rows, 'seen', fields).map((r) => r.name)).toEqual(['web-2', 'Cache', 'web-10', 'db']);
    expect(sortRows(rows, '-seen', fields).map((r) => r.name)).toEqual(['web-10', 'Cache', 'web-2', 'db']);
    expect(sortRows(rows, 'unknown', fields)).toEqual(rows);
  });

  it('pages with the list envelope and clamps an offset past the end', () => {
    const many = Array.from({ length: 120 }, (_, i) => i);
    expect(pageOf(many, 50, 0)).toMatchObject({ total: 120, limit: 50, offset: 0 });
    expect(pageOf(many, 50, 100).items).toEqual(many.slice(100));
    expect(pageOf(many, 50, 500).offset).toBe(100);
    expect(pageOf([], 50, 50)).toEqual({ items: [], total: 0, limit: 50, offset: 0 });
  });
});
