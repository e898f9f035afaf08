/// <reference types="chrome" />
/** The app lock's settings, in `chrome.storage.local` (this browser only, readable while locked). */

/** `chrome.storage.session` key of the unlocked storage key (see vault-access.ts). */
export const UNLOCKED_KEY = 'unlocked-key';
/** The alarm that locks Tessera after the idle time. */
export const LOCK_ALARM = 'tessera-idle-lock';
const SETTING = 'lockAfterMinutes';
export const DEFAULT_LOCK_MINUTES = 5;

export async function lockAfterMinutes(): Promise<number> {
  const value = (await chrome.storage.local.get(SETTING))[SETTING] as unknown;
  return typeof value === 'number' && value >= 1 ? value : DEFAULT_LOCK_MINUTES;
}

export async function setLockAfterMinutes(minutes: number): Promise<void> {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440)
    throw new Error('Lock after: enter a whole number of minutes from 1 to 1440.');
  await chrome.storage.local.set({ [SETTING]: minutes });
}
