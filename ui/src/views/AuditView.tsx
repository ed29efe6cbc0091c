/** The audit log (admins only): a paged table of security-relevant actions with filters. */
import { useEffect, useState } from 'react';
import { Alert } from '../components/Alert';
import { Pager } from '../components/Pager';
import { formatDateTimeSeconds } from '../lib/format';
import { useLoad } from '../lib/useLoad';
import { api } from '../services/client';
import type { ApiClient } from '../services/client';
import { useTitle } from '../lib/useTitle';

const PAGE_SIZE = 50;

/** Sort orders of the time column. */
export type TimeSort = '-at' | 'at';

/** The audit page; `client` is replaceable for tests. */
export function AuditView({ client = api }: { client?: ApiClient }) {
  useTitle('Audit log');
  const [action, setAction] = useState('');
  const [actor, setActor] = useState('');
  const [filters, setFilters] = useState({ action: '', actor: '' });
  const [sort, setSort] = useState<TimeSort>('-at');
  const [offset, setOffset] = useState(0);

  // Typing settles for a moment before the query runs; a new filter starts at page one.
  useEffect(() => {
    const next = { action: action.trim(), actor: actor.trim() };
    if (next.action === filters.action && next.actor === filters.actor) return;
    const timer = window.setTimeout(() => {
      setFilters(next);
      setOffset(0);
    }, 250);
    return () => window.clearTimeout(timer);
  }, [action, actor, filters]);

  const entries = useLoad(
    () => client.listAudit({ ...filters, sort, limit: PAGE_SIZE, offset }),
    [client, filters, sort, offset],
  );
  const toggleSort = () => {
    setSort((s) => (s === '-at' ? 'at' : '-at'));
    setOffset(0);
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>Audit log</h1>
        <p className="muted">Sign-ins, failures, user and role changes, key rotations and token creation.</p>
      </div>
      <section className="card">
        <div className="toolbar">
          <label className="field field-inline">
            <span>Action</span>
            <input name="action-filter" placeholder="e.g. user.login" value={action} onChange={(e) => setAction(e.target.value)} />
          </label>
          <label className="field field-inline">
            <span>Actor</span>
            <input name="actor-filter" placeholder="username" value={actor} onChange={(e) => setActor(e.target.value)} />
          </label>
          <button type="button" className="btn btn-small" onClick={entries.reload}>
            Refresh
          </button>
        </div>
        <Alert kind="error">{entries.error}</Alert>
        <table className="table" data-testid="audit-table">
          <thead>
            <tr>
              <th aria-sort={sort === '-at' ? 'descending' : 'ascending'}>
                <button type="button" className="sort" onClick={toggleSort}>
                  Time {sort === '-at' ? '↓' : '↑'}
                </button>
              </th>
              <th>Actor</th>
              <th>Action</th>
              <th>Target</th>
              <th>Outcome</th>
              <th>Source IP</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {entries.data?.items.map((entry) => (
              <tr key={entry.id} data-action={entry.action}>
                <td className="nowrap">{formatDateTimeSeconds(entry.at)}</td>
                <td>{entry.actor}</td>
                <td className="mono">{entry.action}</td>
                <td>{entry.target ?? '—'}</td>
                <td>
                  <span className={entry.outcome === 'success' ? 'badge badge-on' : 'badge badge-off'}>{entry.outcome}</span>
                </td>
                <td className="mono">{entry.source_ip ?? '—'}</td>
                <td className="detail">{entry.detail ?? ''}</td>
              </tr>
            ))}
            {entries.data && entries.data.items.length === 0 && (
              <tr>
                <td colSpan={7} className="empty">
                  No entries match these filters.
                </td>
              </tr>
            )}
          </tbody>
        </table>
        {entries.data && (
          <Pager total={entries.data.total} limit={entries.data.limit || PAGE_SIZE} offset={entries.data.offset} onChange={setOffset} />
        )}
      </section>
    </div>
  );
}
