/**
 * Client-side checks of form input, mirroring the console's rules so people get feedback
 * before submitting. The console enforces them again (plus its common-password list).
 */

/** Shortest accepted password. */
export const PASSWORD_MIN_LENGTH = 12;
/** Longest accepted password. */
export const PASSWORD_MAX_LENGTH = 128;

/**
 * The first problem with a new password, or null when it passes the local checks: length,
 * confirmation, and not containing the username (compared case-insensitively).
 */
export function passwordProblem(password: string, confirmation: string, username: string): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) {
    return `The password must have at least ${PASSWORD_MIN_LENGTH} characters.`;
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    return `The password must have at most ${PASSWORD_MAX_LENGTH} characters.`;
  }
  const name = username.trim().toLowerCase();
  if (name && password.toLowerCase().includes(name)) {
    return 'The password must not contain the username.';
  }
  if (password !== confirmation) {
    return 'The password and its confirmation do not match.';
  }
  return null;
}

/** The first problem with a username, or null. */
export function usernameProblem(username: string): string | null {
  const trimmed = username.trim();
  if (!trimmed) return 'Enter a username.';
  if (trimmed !== username) return 'The username must not start or end with spaces.';
  return null;
}

/**
 * Normalizes a typed setup code: upper case, spaces removed, so that `abcd efgh ijkl` or a
 * pasted code with a trailing newline still matches `ABCD-EFGH-IJKL`.
 */
export function normalizeSetupCode(code: string): string {
  return code.replace(/\s+/g, '').toUpperCase();
}

/** The problem with a setup code, or null. */
export function setupCodeProblem(code: string): string | null {
  if (!normalizeSetupCode(code)) return 'Enter the setup code printed in the console banner.';
  return null;
}

/** Parses a whole number within bounds from a form field, or returns null. */
export function parseBoundedInt(text: string, min: number, max: number): number | null {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return value >= min && value <= max ? value : null;
}
