import { generateCode, secondsRemaining, type OtpEntry } from '@tessera/otp';

/** What a list shows for one entry at one moment. */
export interface CodeView {
  /** The current code; null for HOTP, whose codes are only made on request (`Vault.nextHotp`). */
  code: string | null;
  /** Seconds until the code changes; null for HOTP. */
  secondsLeft: number | null;
}

/** The current TOTP/Steam code of `entry` at `time` (unix seconds, default now). */
export function currentCode(entry: OtpEntry, time: number = Date.now() / 1000): CodeView {
  if (entry.type === 'hotp') return { code: null, secondsLeft: null };
  return {
    code: generateCode({ entry, time }),
    secondsLeft: secondsRemaining({ period: entry.period ?? 30, time }),
  };
}
