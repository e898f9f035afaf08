import type { FormatReader } from '../types.js';
import { contextOf, damaged, unsupported } from '../util/errors.js';
import { isSqlite } from '../util/sqlite.js';
import { decodeText } from '../util/text.js';
import { readZipEntry, zipHas } from '../util/zip.js';
import { readUriLines } from './otpauth-list.js';

/**
 * Authenticator Plus exports: a password-protected ZIP (traditional PKWARE encryption) holding
 * `Accounts.txt`, one otpauth:// URI per line. zip.js opens it, so this format is supported.
 * The app's own database backup (`authplus.db`) is different: an SQLCipher database, which only
 * native SQLCipher builds read (no maintained, light WebAssembly build exists), so a file given as
 * Authenticator Plus that is not the ZIP is refused with a message saying what to export instead.
 */
const ENTRY = 'Accounts.txt';

export const authenticatorPlus: FormatReader = {
  id: 'authenticator-plus',
  name: 'Authenticator Plus export',
  encrypted: true,
  detect: (source) => zipHas(source.bytes, ENTRY),
  async read(source, { password }) {
    const ctx = contextOf(authenticatorPlus, source);
    if (!zipHas(source.bytes, ENTRY)) {
      throw unsupported(
        ctx,
        `${isSqlite(source.bytes) ? 'this is' : 'this is not the ZIP export; if it is'} an Authenticator Plus database backup (SQLCipher-encrypted), ` +
          'which Tessera cannot read: no maintained, browser-friendly SQLCipher library exists. ' +
          'In Authenticator Plus use Settings > Backup & Restore > Export as Text and HTML, then import the ZIP it writes',
      );
    }
    const found = await readZipEntry(ctx, source.bytes, { name: ENTRY, password });
    if (!found) throw damaged(ctx, `no ${ENTRY} in the archive`);
    const text = decodeText(found.data);
    if (text === null) throw damaged(ctx, `${ENTRY} is not text`, { field: ENTRY });
    return readUriLines(ctx, text);
  },
};
