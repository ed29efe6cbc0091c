/** Display helpers for dates and durations. */

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** `YYYY-MM-DD HH:MM` in local time, or a dash for missing values. */
export function formatDateTime(iso: string | null | undefined, missing = '—'): string {
  if (!iso) return missing;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

/** Same as {@link formatDateTime} with seconds, for the audit log. */
export function formatDateTimeSeconds(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${formatDateTime(iso)}:${pad(date.getSeconds())}`;
}

/** A short human duration: `45 seconds`, `3 minutes`, `2 hours`. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.ceil(minutes / 60);
  return `${hours} hour${hours === 1 ? '' : 's'}`;
}

/** Formats a fingerprint for reading: `SHA256:` prefix kept, hex grouped by two with colons. */
export function formatFingerprint(fingerprint: string): string {
  const hex = fingerprint.replace(/^SHA256:/i, '');
  if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length % 2 !== 0) return fingerprint;
  return hex.toUpperCase().match(/../g)?.join(':') ?? fingerprint;
}
