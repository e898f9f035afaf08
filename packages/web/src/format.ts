/**
 * Splits a code into two groups so it reads like a phone number: 6 → "123 456", 8 → "1234 5678",
 * 7 → "1234 567". Steam codes (letters) and codes of 5 characters or fewer stay whole.
 */
export function groupCode(code: string): string {
  if (code.length <= 5 || /[^0-9]/.test(code)) return code;
  const half = Math.ceil(code.length / 2);
  return `${code.slice(0, half)} ${code.slice(half)}`;
}

/** Spoken form of a code for screen readers: digits separated so they are read one by one. */
export function spokenCode(code: string): string {
  return code.split('').join(' ');
}

/** "just now", "5 minutes ago", "3 hours ago", or a date, for backup and device times. */
export function timeAgo(then: number | string | null | undefined, now = Date.now()): string {
  if (then === null || then === undefined || then === '') return 'never';
  const at = typeof then === 'number' ? then : Date.parse(then);
  if (!Number.isFinite(at)) return 'unknown';
  const seconds = Math.round((now - at) / 1000);
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} hour${hours === 1 ? '' : 's'} ago`;
  return new Date(at).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** A readable name for this browser and system, used as the device name in the keychain. */
export function defaultDeviceName(userAgent = navigator.userAgent): string {
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrome\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : 'Browser';
  const system = /Android/.test(userAgent)
    ? 'Android'
    : /iPhone|iPad/.test(userAgent)
      ? 'iOS'
      : /Mac OS X/.test(userAgent)
        ? 'macOS'
        : /Windows/.test(userAgent)
          ? 'Windows'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : '';
  return system ? `${browser} on ${system}` : browser;
}

/** "Can't reach the server since 14:05. 2 changes waiting." (Backup page and the banner on every screen). */
export function unreachableText(since: number, waiting: number): string {
  const at = new Date(since).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return `Can't reach the keychain server since ${at}. ${waiting === 0 ? 'Nothing is waiting to be backed up' : `${waiting} change${waiting === 1 ? '' : 's'} waiting to be backed up`}; the devices and PIN shown are the last known.`;
}
