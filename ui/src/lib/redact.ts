/**
 * Hides secrets in process command lines before they are shown: Vedette's own keys and
 * tokens (`vsk_…`, `vdt_…`) and the value of flags such as `--api-key`, `--password` or
 * `--token`. Sensors report command lines as they are; a screen is no place for them.
 */

/** What replaces a hidden value. */
export const REDACTED = '••••••';

const SECRET_FLAG = /^--?[\w-]*(api[-_]?key|password|passwd|token|secret)$/i;
const SECRET_FLAG_WITH_VALUE = /^(--?[\w-]*(?:api[-_]?key|password|passwd|token|secret)=).+$/i;
const VEDETTE_SECRET = /\b(vsk|vdt)_[A-Za-z0-9_-]{6,}/g;

/** Masks Vedette secrets inside free text. */
export function redactText(text: string): string {
  return text.replace(VEDETTE_SECRET, (_match, prefix: string) => `${prefix}_${REDACTED}`);
}

/** Masks the secrets of a command line given as its arguments. */
export function redactArgs(args: readonly string[]): string[] {
  return args.map((arg, i) => {
    if (i > 0 && SECRET_FLAG.test(args[i - 1])) return REDACTED;
    const withValue = SECRET_FLAG_WITH_VALUE.exec(arg);
    if (withValue) return `${withValue[1]}${REDACTED}`;
    return redactText(arg);
  });
}
