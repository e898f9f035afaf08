import { tokensXmlReader } from './freeotp.js';

/**
 * FreeOTP+'s internal token store (`shared_prefs/tokens.xml` of org.liberty.android.freeotpplus). It
 * is FreeOTP's layout to the byte, so detection finds the `freeotp` reader first (same entries);
 * this id exists so `--format freeotp-plus-internal` names the app the user knows.
 */
export const freeotpPlusInternal = tokensXmlReader(
  'freeotp-plus-internal',
  'FreeOTP+ token store (tokens.xml)',
);
