import type { FormatReader } from '../types.js';
import { isBackupEnvelope, openBackup } from '../tessera-backup.js';
import { collectEntries, labelFrom } from '../util/entries.js';
import { contextOf, requirePassword } from '../util/errors.js';
import { expectArray, expectObject, Fields } from '../util/fields.js';
import { parseJsonOrThrow, readJson, sniff } from '../util/sniff.js';

/** Longest icon choice kept (the vault's MAX_ICON_LENGTH; formats does not depend on the vault). */
const MAX_ICON_TEXT = 100;

/** Tessera's own encrypted backup (docs/BACKUP-FORMAT.md). */
export const tesseraBackup: FormatReader = {
  id: 'tessera',
  name: 'Tessera backup',
  encrypted: true,
  detect: (source) => isBackupEnvelope(sniff(source).json),
  async read(source, { password }) {
    const ctx = contextOf(tesseraBackup, source);
    const text = await openBackup(ctx, readJson(ctx, source), requirePassword(ctx, password));
    const content = expectObject(ctx, parseJsonOrThrow(ctx, text, 'ciphertext'), 'ciphertext');
    return collectEntries(
      ctx,
      expectArray(ctx, content.entries, 'entries'),
      labelFrom('issuer', 'account'),
      (raw) => {
        const e = Fields.of(raw);
        const extra = e.optObj('extra');
        // Display data: a value the vault cannot read is dropped there, never a reason to skip.
        const icon = typeof e.obj.icon === 'string' ? e.obj.icon : undefined;
        return {
          type: e.str('type'),
          secret: e.str('secret'),
          algorithm: e.str('algorithm'),
          digits: e.num('digits'),
          period: e.optNum('period') ?? null,
          counter: e.optNum('counter') ?? null,
          issuer: e.optStr('issuer') ?? '',
          account: e.optStr('account') ?? '',
          tags: e.has('tags') ? e.arr('tags').filter((t): t is string => typeof t === 'string') : [],
          ...(extra ? { extra: extra.obj as Record<string, string> } : {}),
          ...(icon && icon.length <= MAX_ICON_TEXT ? { icon } : {}),
        };
      },
    );
  },
};
