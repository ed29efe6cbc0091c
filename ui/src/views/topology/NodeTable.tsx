/**
 * The table view of the map: the same nodes, sortable and paged (the console answers a view
 * whole, so sorting and paging happen here), each name a button that opens the detail panel.
 * It is also the keyboard-friendly way through the topology.
 */
import { useEffect, useMemo, useState } from 'react';
import { Pager } from '../../components/Pager';
import { SortHeader } from '../../components/SortHeader';
import { redactArgs } from '../../lib/redact';
import { nextSort, pageOf, sortRows } from '../../lib/rows';
import type { TopologyGraph, TopologyNode } from '../../services/types';
import { isPseudo, kindStyle } from './model';

const PAGE_SIZE = 50;

/** Props of {@link NodeTable}. */
export interface NodeTableProps {
  view: TopologyGraph;
  statusOf: (node: TopologyNode) => string;
  selected: string | null;
  onSelect: (id: string) => void;
}

/** A short summary of a node's main facts for the table. */
export function nodeSummary(node: TopologyNode): string {
  const a = node.attributes ?? {};
  switch (node.kind) {
    case 'host':
      return [a.os_pretty_name, a.kernel, a.arch].filter((v) => typeof v === 'string' && v).join(' · ');
    case 'container':
      return typeof a.image === 'string' ? a.image : '';
    case 'process':
      return [a.user, Array.isArray(a.cmdline) ? redactArgs(a.cmdline.map(String)).join(' ') : ''].filter(Boolean).join(' · ');
    case 'image':
      return Array.isArray(a.tags) ? a.tags.join(', ') : '';
    default:
      return isPseudo(node) ? 'not covered by a sensor' : '';
  }
}

/** The table. */
export function NodeTable({ view, statusOf, selected, onSelect }: NodeTableProps) {
  const [sort, setSort] = useState('label');
  const [offset, setOffset] = useState(0);
  const degree = useMemo(() => {
    const d = new Map<string, number>();
    for (const e of view.edges) {
      d.set(e.from, (d.get(e.from) ?? 0) + e.connections);
      d.set(e.to, (d.get(e.to) ?? 0) + e.connections);
    }
    return d;
  }, [view]);
  const fields = useMemo(
    () => ({
      label: (n: TopologyNode) => n.label,
      kind: (n: TopologyNode) => n.kind,
      host: (n: TopologyNode) => n.host,
      status: (n: TopologyNode) => statusOf(n),
      connections: (n: TopologyNode) => degree.get(n.id) ?? 0,
    }),
    [degree, statusOf],
  );
  const page = useMemo(() => pageOf(sortRows(view.nodes, sort, fields), PAGE_SIZE, offset), [view, sort, fields, offset]);

  // Opening a node from elsewhere (search, a link) shows the page it is on.
  useEffect(() => {
    if (!selected) return;
    const sorted = sortRows(view.nodes, sort, fields);
    const index = sorted.findIndex((n) => n.id === selected);
    if (index >= 0) setOffset(Math.floor(index / PAGE_SIZE) * PAGE_SIZE);
    // Only when the selection changes, not on every live update.
  }, [selected]);

  const onSort = (field: string) => {
    setSort((s) => nextSort(s, field));
    setOffset(0);
  };

  return (
    <div className="node-table">
      <table className="table" data-testid="topology-table">
        <thead>
          <tr>
            <SortHeader field="label" label="Name" sort={sort} onSort={onSort} />
            <SortHeader field="kind" label="Kind" sort={sort} onSort={onSort} />
            <SortHeader field="host" label="Host" sort={sort} onSort={onSort} />
            <SortHeader field="status" label="Status" sort={sort} onSort={onSort} />
            <SortHeader field="connections" label="Connections" sort={sort} onSort={onSort} />
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          {page.items.map((node) => {
            const status = statusOf(node);
            return (
              <tr key={node.id} data-node={node.id} className={node.id === selected ? 'row-selected' : undefined}>
                <td className="nowrap">
                  <span className="kind-dot" style={{ background: kindStyle(node.kind).color }} aria-hidden="true" />
                  <button type="button" className="linklike" onClick={() => onSelect(node.id)} aria-current={node.id === selected ? 'true' : undefined}>
                    {node.label}
                  </button>
                </td>
                <td>{kindStyle(node.kind).name}</td>
                <td>{node.host ?? '—'}</td>
                <td>{status ? <span className={`badge badge-status-${status}`}>{status}</span> : '—'}</td>
                <td>{degree.get(node.id) ?? 0}</td>
                <td className="muted summary">{nodeSummary(node)}</td>
              </tr>
            );
          })}
          {page.items.length === 0 && (
            <tr>
              <td colSpan={6} className="empty">
                No node matches these filters.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <Pager total={page.total} limit={page.limit} offset={page.offset} onChange={setOffset} />
    </div>
  );
}
