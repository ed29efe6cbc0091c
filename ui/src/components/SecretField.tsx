/** A secret value shown masked, with show/hide and copy buttons. */
import { useState } from 'react';
import { CopyButton } from './CopyButton';

/** Mask used in place of hidden secrets. */
export const MASK = '••••••••••••••••••••••••';

/** Replaces every occurrence of the key in a command by the mask, for display. */
export function maskKey(command: string, key: string | null): string {
  return key ? command.split(key).join(MASK) : command;
}

/** `label` is the accessible name of the value (`Sensor API key`). */
export function SecretField({ value, label }: { value: string; label: string }) {
  const [shown, setShown] = useState(false);
  return (
    <div className="value-row">
      <code className="value mono" aria-label={label} data-testid="secret-value">
        {shown ? value : MASK}
      </code>
      <button
        type="button"
        className="btn btn-small"
        aria-pressed={shown}
        onClick={() => setShown((s) => !s)}
      >
        {shown ? 'Hide' : 'Show'}
      </button>
      <CopyButton text={value} label={`Copy ${label.toLowerCase()}`} />
    </div>
  );
}
