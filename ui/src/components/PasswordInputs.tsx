/** The "new password" + "confirm password" pair used by setup, invite, reset and account pages. */
import { useId } from 'react';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../lib/validation';

/** Props of {@link PasswordInputs}. */
export interface PasswordInputsProps {
  password: string;
  confirmation: string;
  onPassword: (value: string) => void;
  onConfirmation: (value: string) => void;
  /** Label of the first field, `Password` by default. */
  label?: string;
}

/** Two controlled password fields with the policy as a hint. */
export function PasswordInputs({ password, confirmation, onPassword, onConfirmation, label = 'Password' }: PasswordInputsProps) {
  const id = useId();
  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-password`}>{label}</label>
        <input
          id={`${id}-password`}
          aria-describedby={`${id}-hint`}
          type="password"
          name="new-password"
          autoComplete="new-password"
          value={password}
          maxLength={PASSWORD_MAX_LENGTH}
          onChange={(e) => onPassword(e.target.value)}
          required
        />
        <small className="hint" id={`${id}-hint`}>
          {PASSWORD_MIN_LENGTH}–{PASSWORD_MAX_LENGTH} characters, not containing the username, not a common password.
        </small>
      </div>
      <label className="field">
        <span>Confirm {label.toLowerCase()}</span>
        <input
          type="password"
          name="confirm-password"
          autoComplete="new-password"
          value={confirmation}
          maxLength={PASSWORD_MAX_LENGTH}
          onChange={(e) => onConfirmation(e.target.value)}
          required
        />
      </label>
    </>
  );
}
