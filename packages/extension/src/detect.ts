/**
 * Finding one-time-code fields. The standard is `autocomplete="one-time-code"` (HTML, "Autofill");
 * many sites still use a plain text field named otp, totp, 2fa, mfa or code, often with a 6–8
 * character limit or a numeric keypad. Runs in every page, so it reads attributes only and never
 * the page's text.
 */
const NAME =
  /(^|[^a-z])(otp|totp|2fa|mfa|one[-_ ]?time|passcode|verification[-_ ]?code|auth[-_ ]?code|security[-_ ]?code|token|code)([^a-z]|$)/i;
const TEXT_TYPES = new Set(['text', 'tel', 'number', '']);

/** Whether `input` looks like a field for a 6–8 digit one-time code. */
export function isCodeField(input: HTMLInputElement): boolean {
  if (input.disabled || input.readOnly || input.type === 'hidden') return false;
  if ((input.getAttribute('autocomplete') ?? '').split(/\s+/).includes('one-time-code')) return true;
  if (!TEXT_TYPES.has(input.type)) return false;
  const names = [input.name, input.id, input.getAttribute('aria-label') ?? '', input.placeholder].join(' ');
  if (!NAME.test(names)) return false;
  const max = input.maxLength;
  const shaped =
    (max >= 6 && max <= 8) ||
    input.inputMode === 'numeric' ||
    input.type === 'tel' ||
    input.type === 'number';
  return shaped || /otp|2fa|mfa|one.?time/i.test(names);
}

/**
 * Inputs that may be code fields, as one CSS selector: the autocomplete token, or a word of `NAME`
 * inside one of the attributes it reads (`i`: any case). Every field `isCodeField` accepts matches it
 * (but for a word split across two attributes), so a page without a code field costs one query in
 * the browser's own code and no script per input.
 */
const WORDS = ['otp', '2fa', 'mfa', 'onetime', 'one-time', 'one_time', 'one time', 'token', 'code'];
export const CANDIDATES = [
  'input[autocomplete~="one-time-code" i]',
  ...['name', 'id', 'aria-label', 'placeholder'].flatMap((attr) =>
    WORDS.map((word) => `input[${attr}*="${word}" i]`),
  ),
].join(',');

/** The code fields of a document (or part of one), in document order. */
export function findCodeFields(root: ParentNode): HTMLInputElement[] {
  const candidates = root.querySelectorAll<HTMLInputElement>(CANDIDATES);
  return candidates.length === 0 ? [] : [...candidates].filter(isCodeField);
}
