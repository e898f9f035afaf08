import type { FormatReader } from '../types.js';
import { looksLikePrefs, parsePrefs } from '../util/android-prefs.js';
import { hexDecode } from '../util/bytes.js';
import { EntryCollector } from '../util/entries.js';
import { contextOf, damaged } from '../util/errors.js';
import { EntryProblem } from '../util/fields.js';
import { readText, sniff } from '../util/sniff.js';

/**
 * The Battle.net app's authenticator preferences
 * (`shared_prefs/com.blizzard.messenger.authenticator_preferences.xml`). With encryption type
 * `MASK`, the serial and the device secret are hex of text XOR-ed with a fixed key the app ships; the
 * unmasked secret is itself hex. Codes are TOTP SHA1, 8 digits, 30 s, issuer "Battle.net", the serial
 * (e.g. `EU-1234-5678-9012`) as the account.
 */
const PREFIX = 'com.blizzard.messenger.';
const SECRET_KEY = `${PREFIX}AUTHENTICATOR_DEVICE_SECRET`;
const SERIAL_KEY = `${PREFIX}AUTHENTICATOR_SERIAL`;
const TYPE_KEY = `${PREFIX}AUTHENTICATOR_CREDENTIALS_ENCRYPTION_TYPE`;
const MASK = hexDecode(
  '398e27fc50276a656065b0e525f4c06c04c61075286b8e7aeda59da9813b5dd6c80d2fb38068773fa59ba47c17ca6c6479015c1d5b8b8f6b9a',
)!;

function unmask(field: string, masked: string): string {
  const bytes = hexDecode(masked);
  if (!bytes) throw new EntryProblem(field, 'is not hex');
  if (bytes.length > MASK.length)
    throw new EntryProblem(field, `is longer than the ${MASK.length} bytes the app masks`);
  return String.fromCharCode(...bytes.map((b, i) => b ^ MASK[i]!));
}

export const battleNet: FormatReader = {
  id: 'battle-net',
  name: 'Battle.net authenticator (Android)',
  encrypted: false,
  detect: (source) => looksLikePrefs(sniff(source).text, SECRET_KEY),
  async read(source) {
    const ctx = contextOf(battleNet, source);
    const prefs = parsePrefs(ctx, readText(ctx, source));
    const secret = prefs.get(SECRET_KEY)?.value;
    if (secret === undefined) throw damaged(ctx, `no ${SECRET_KEY} preference`, { field: SECRET_KEY });
    const type = prefs.get(TYPE_KEY)?.value ?? 'MASK';
    if (type !== 'MASK')
      throw damaged(ctx, `unknown credentials encryption ${JSON.stringify(type)}`, { field: TYPE_KEY });
    const collector = new EntryCollector(ctx);
    const serial = prefs.get(SERIAL_KEY)?.value;
    collector.add(0, 'Battle.net', () => {
      const bytes = hexDecode(unmask(SECRET_KEY, secret));
      if (!bytes) throw new EntryProblem(SECRET_KEY, 'does not unmask to a hex secret');
      return {
        type: 'totp',
        secret: bytes,
        algorithm: 'SHA1',
        digits: 8,
        period: 30,
        issuer: 'Battle.net',
        account: serial ? unmask(SERIAL_KEY, serial) : '',
      };
    });
    return collector.result();
  },
};
