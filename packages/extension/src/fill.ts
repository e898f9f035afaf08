/**
 * Puts a code into a field the way typing would: through the native value setter (so frameworks
 * that wrap `value` see it) and with `input` and `change` events.
 */
export function fillField(input: HTMLInputElement, code: string): void {
  input.focus();
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
  if (setter) setter.call(input, code);
  else input.value = code;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  input.dispatchEvent(new Event('change', { bubbles: true }));
}
