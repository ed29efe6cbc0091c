/** A coloured message box for errors, successes and notes. */
import type { ReactNode } from 'react';

/** Kinds of alerts; errors are announced to screen readers at once. */
export type AlertKind = 'error' | 'success' | 'info' | 'warning';

/** Renders nothing when `children` is empty. */
export function Alert({ kind, children }: { kind: AlertKind; children: ReactNode }) {
  if (children === null || children === undefined || children === '' || children === false) return null;
  return (
    <div className={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}
