import type { JSX } from 'preact';

type InputProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'onInput' | 'value'>;

/** A labelled text input bound to a string, with an optional hint and error wired for screen readers. */
export function Field(props: {
  id: string;
  label: string;
  value: string;
  onValue(value: string): void;
  hint?: string;
  error?: string | null;
  input?: InputProps;
}) {
  const describedBy = [props.hint ? `${props.id}-hint` : '', props.error ? `${props.id}-error` : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div>
      <label for={props.id}>{props.label}</label>
      {props.hint && (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      <input
        id={props.id}
        value={props.value}
        onInput={(e) => props.onValue((e.target as HTMLInputElement).value)}
        aria-invalid={props.error ? 'true' : 'false'}
        aria-describedby={describedBy || undefined}
        {...props.input}
      />
      {props.error && (
        <p class="error-text" id={`${props.id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

/** Shows an error message as an alert, or nothing. */
export function ErrorText({ error }: { error: string | null }) {
  return error ? (
    <p class="error-text" role="alert">
      {error}
    </p>
  ) : null;
}

/** A checkbox with its label, bound to a boolean. */
export function Checkbox(props: { label: string; checked: boolean; onChecked(checked: boolean): void }) {
  return (
    <label class="check">
      <input
        type="checkbox"
        checked={props.checked}
        onChange={(e) => props.onChecked((e.target as HTMLInputElement).checked)}
      />
      {props.label}
    </label>
  );
}
