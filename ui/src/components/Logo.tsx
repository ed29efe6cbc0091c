/** The Vedette mark: a watchtower eye, drawn inline so no asset request is needed. */
export function Logo({ size = 28 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect x="1" y="1" width="30" height="30" rx="7" fill="#1d2a3f" stroke="#4f8cff" strokeWidth="1.5" />
      <path d="M6 16c3-5 6.5-7.5 10-7.5S23 11 26 16c-3 5-6.5 7.5-10 7.5S9 21 6 16z" fill="none" stroke="#9cc0ff" strokeWidth="1.8" />
      <circle cx="16" cy="16" r="3.6" fill="#4f8cff" />
    </svg>
  );
}
