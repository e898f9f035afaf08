/**
 * The keychain PIN's one rule, said the same way by the CLI, the web app and the library: long enough
 * to survive the 10 guesses the escrow allows, short enough to type.
 */
export const PIN_MIN_LENGTH = 4;
export const PIN_MAX_LENGTH = 64;

/** The rule in words. */
export const PIN_RULE = `A keychain PIN has ${PIN_MIN_LENGTH} to ${PIN_MAX_LENGTH} characters (digits are fine).`;

/** Why `pin` breaks the rule, or null. */
export function pinProblem(pin: string): string | null {
  return pin.length < PIN_MIN_LENGTH || pin.length > PIN_MAX_LENGTH ? PIN_RULE : null;
}
