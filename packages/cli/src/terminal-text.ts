/**
 * Text that others wrote (device names and notices from the keychain server, entry labels from
 * imported files or other devices, server error messages) is printed to a terminal, which obeys
 * control characters in it: ESC sequences can retitle the window (OSC 0), clear the screen, move the
 * cursor to forge output, or, in some terminals, write files; bidi overrides reorder what is shown
 * (Trojan Source, CVE-2021-42574). Everything of that kind is shown as a visible escape instead.
 */

/**
 * C0 controls (tab and newline too: one field is one line), DEL, C1 controls (U+0080–U+009F, which
 * include the 8-bit CSI and OSC), the line and paragraph separators, and the Unicode bidi controls:
 * marks (U+200E/F, U+061C), embeddings and overrides (U+202A–U+202E) and isolates (U+2066–U+2069).
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every terminal control character replaced by a visible `\xNN` or `\uNNNN` escape. */
export function printable(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const code = ch.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
