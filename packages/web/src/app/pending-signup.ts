// Kept apart from keychain.ts so the app shell can read it without loading the keychain client.

/**
 * A sign-up whose recovery key was shown but not yet confirmed (nothing sent to the server yet): kept
 * so that closing the page does not void the key written down. Removed once the keychain exists or
 * the user starts over. Never holds the password or the PIN.
 */
export const PENDING_SIGNUP_META_KEY = 'web.keychain.pendingSignup';

export interface PendingSignup {
  server: string;
  email: string;
  deviceName: string;
  recoveryKey: string;
  at: number;
}
