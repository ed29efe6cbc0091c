/** Tests of secret masking in command lines. */
import { describe, expect, it } from 'vitest';
import { REDACTED, redactArgs, redactText } from './redact';

describe('redact', () => {
  it('masks the values of secret flags and Vedette keys, nothing else', () => {
    expect(
      redactArgs(['vedette', 'sensor', '--api-key', 'abc123', '--console-url', 'https://c:8443', '--password=hunter2', '-token', 't', 'x']),
    ).toEqual(['vedette', 'sensor', '--api-key', REDACTED, '--console-url', 'https://c:8443', `--password=${REDACTED}`, '-token', REDACTED, 'x']);
    expect(redactArgs(['env', 'KEY=vsk_AbCdEf123456'])).toEqual(['env', `KEY=vsk_${REDACTED}`]);
    expect(redactText('Bearer vdt_0123456789abcdef')).toBe(`Bearer vdt_${REDACTED}`);
    expect(redactText('/usr/bin/vsk_tool')).toBe('/usr/bin/vsk_tool');
  });
});
