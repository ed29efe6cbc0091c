/** A read-only value (link, token, command) with a copy button. */
import { CopyButton } from './CopyButton';

/**
 * `display` is what is shown (e.g. a command with the key masked); `value` is what is copied.
 * `block` renders a multi-line code block for long commands.
 */
export function CopyField({
  value,
  display,
  label,
  block = false,
}: {
  value: string;
  display?: string;
  label: string;
  block?: boolean;
}) {
  const shown = display ?? value;
  return (
    <div className={block ? 'value-block' : 'value-row'}>
      {block ? (
        <pre className="value mono" aria-label={label}>
          {shown}
        </pre>
      ) : (
        <code className="value mono" aria-label={label}>
          {shown}
        </code>
      )}
      <CopyButton text={value} label={`Copy ${label.toLowerCase()}`} />
    </div>
  );
}
