/** A column header that sorts a table by its field (`aria-sort` tells screen readers). */
import { parseSort } from '../lib/rows';
import type { SortOrder } from '../lib/rows';

/** Props of {@link SortHeader}. */
export interface SortHeaderProps {
  field: string;
  label: string;
  sort: SortOrder;
  onSort: (field: string) => void;
}

/** `<th>` with a button; the active column shows ↑ or ↓. */
export function SortHeader({ field, label, sort, onSort }: SortHeaderProps) {
  const { field: active, descending } = parseSort(sort);
  const on = active === field;
  return (
    <th aria-sort={on ? (descending ? 'descending' : 'ascending') : 'none'}>
      <button type="button" className="sort" onClick={() => onSort(field)}>
        {label}
        {on ? (descending ? ' ↓' : ' ↑') : ''}
      </button>
    </th>
  );
}
