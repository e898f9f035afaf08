/**
 * Backup verification: a restore test without a second device. Pull the whole server copy, decrypt
 * every item and compare it with this vault; a mismatch is recorded, posted as a `backup-mismatch`
 * notice for every device, and never silent.
 */
import { LIMITS } from '@tessera/protocol';
import { KeychainError } from './errors.js';
import type { Keychain } from './keychain.js';
import { pendingRecords, openServerItem, recordHash } from './sync.js';
import type { VerifyResult } from './state.js';

/** How often a device verifies its backup on its own. */
export const VERIFY_INTERVAL_MS = 24 * 60 * 60 * 1000;

export interface VerifyReport extends VerifyResult {
  /** Ids of entries whose server copy is missing, unreadable or different. */
  mismatchedIds: string[];
}

/** Verifies the backup now (call right after a sync round, so nothing is pending). */
export async function verifyBackup(keychain: Keychain): Promise<VerifyReport> {
  const state = keychain.requireTrusted();
  const pending = new Set(pendingRecords(keychain).map((r) => r.entry.id));
  const server = new Map<string, string>();
  const unreadable: string[] = [];
  let since = 0;
  for (;;) {
    const page = await keychain.client().call('items', { query: { since, limit: LIMITS.maxPullLimit } });
    for (const item of page.items) {
      since = Math.max(since, item.version);
      try {
        server.set(item.id, recordHash(openServerItem(keychain, item)));
      } catch (err) {
        if (!(err instanceof KeychainError)) throw err;
        unreadable.push(item.id);
      }
    }
    if (!page.more || page.items.length === 0) break;
  }
  const mismatched = new Set(unreadable);
  let checked = 0;
  for (const record of keychain.host.records()) {
    const id = record.entry.id;
    if (record.entry.deviceOnly || pending.has(id)) continue;
    if (!state.synced[id] && record.deleted) continue;
    checked++;
    if (server.get(id) !== recordHash(record)) mismatched.add(id);
  }
  const report: VerifyReport = {
    at: keychain.now(),
    ok: mismatched.size === 0,
    checked,
    mismatched: mismatched.size,
    mismatchedIds: [...mismatched],
  };
  state.lastVerify = { at: report.at, ok: report.ok, checked, mismatched: report.mismatched };
  await keychain.save();
  if (!report.ok) {
    await keychain.client().call('noticePost', {
      body: {
        kind: 'backup-mismatch',
        data: { checked, mismatched: report.mismatched },
      },
    });
  }
  return report;
}

/** True when the last verification is older than `VERIFY_INTERVAL_MS` (or never happened). */
export function verificationDue(keychain: Keychain): boolean {
  const last = keychain.state?.lastVerify?.at ?? 0;
  return keychain.now() - last >= VERIFY_INTERVAL_MS;
}
