/** Tests of the client-side form checks. */
import { describe, expect, it } from 'vitest';
import { normalizeSetupCode, parseBoundedInt, passwordProblem, usernameProblem } from './validation';

describe('passwordProblem', () => {
  it('accepts a long password matching its confirmation', () => {
    expect(passwordProblem('correct horse battery', 'correct horse battery', 'alice')).toBeNull();
  });

  it('rejects short and overlong passwords', () => {
    expect(passwordProblem('short', 'short', 'alice')).toMatch(/at least 12/);
    const long = 'x'.repeat(129);
    expect(passwordProblem(long, long, 'alice')).toMatch(/at most 128/);
  });

  it('rejects a password containing the username, whatever the case', () => {
    expect(passwordProblem('my-ALICE-password', 'my-ALICE-password', 'alice')).toMatch(/username/);
  });

  it('rejects a confirmation that differs', () => {
    expect(passwordProblem('correct horse battery', 'correct horse batterY', 'alice')).toMatch(/do not match/);
  });
});

describe('other checks', () => {
  it('usernameProblem wants a non-empty, trimmed name', () => {
    expect(usernameProblem('')).not.toBeNull();
    expect(usernameProblem(' bob')).not.toBeNull();
    expect(usernameProblem('bob')).toBeNull();
  });

  it('normalizeSetupCode upper-cases and strips spaces', () => {
    expect(normalizeSetupCode(' abcd-efgh-ijkl\n')).toBe('ABCD-EFGH-IJKL');
  });

  it('parseBoundedInt accepts whole numbers in range only', () => {
    expect(parseBoundedInt('72', 1, 720)).toBe(72);
    expect(parseBoundedInt('0', 1, 720)).toBeNull();
    expect(parseBoundedInt('721', 1, 720)).toBeNull();
    expect(parseBoundedInt('1.5', 1, 720)).toBeNull();
    expect(parseBoundedInt('', 1, 720)).toBeNull();
  });
});
