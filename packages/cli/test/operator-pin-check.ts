// The attacker of issue 12: the operator of the keychain server and of some realms, with every file
// and secret they hold, checking PIN guesses offline. With fewer realm shares than the threshold
// there is nothing to check a guess against; with enough (the single embedded realm), each guess is
// one OPRF evaluation and a hash, and the right one opens the vault key.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ristretto255_oprf } from '@noble/curves/ed25519.js';
import { ESCROW_RECIPIENT } from '@tessera/protocol';
import { unwrapVaultKey } from '@tessera/vault/keychain';
import { maskShare, oprfInput, secretCheck, unlockCheck } from '../../vault/src/realms/derive.js';
import { combineChecked } from '../../vault/src/realms/threshold.js';
import { realmEscrowKeys } from '../../vault/src/keychain/keys.js';
import { parseRealmSecret } from '../../server/src/realm/keys.js';
import { openRecord, sealKey } from '../../server/src/realm/record.js';

export interface OperatorFiles {
  /** The keychain server's SQLite database. */
  keychainDatabase: string;
  /** The realms this operator runs: their data directories (secret, SQLite store) and pinned URL. */
  realms: { dataDir: string; url: string }[];
}

export interface OfflineResult {
  found: string | null;
  reason?: string;
  vaultKeyOpened?: boolean;
}

interface Setup {
  record: string;
  threshold: number;
  realms: { url: string; realmId: string }[];
  unlockCheck: string;
  secretCheck: string;
}

const oprf = ristretto255_oprf.oprf;
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

export async function offlinePinCheck(files: OperatorFiles, candidates: string[]): Promise<OfflineResult> {
  const keychain = new Database(files.keychainDatabase, { readonly: true });
  let setup: Setup;
  let accountId: string;
  let epoch: number;
  let wrapped: string;
  try {
    const rows = keychain.prepare('select account_id, body from circle_links order by seq').all() as {
      account_id: string;
      body: string;
    }[];
    const links = rows.map((r) => ({ accountId: r.account_id, ...JSON.parse(r.body) }));
    const last = links.filter((l) => l.escrowRealms).pop();
    setup = last.escrowRealms;
    accountId = last.accountId;
    epoch = links[links.length - 1].epoch;
    wrapped = (
      keychain
        .prepare('select wrapped from wraps where account_id = ? and recipient_id = ? and epoch = ?')
        .get(accountId, ESCROW_RECIPIENT, epoch) as { wrapped: string }
    ).wrapped;
  } finally {
    keychain.close();
  }

  // Everything the operator's realms hold of this record, opened with their own secrets.
  const held = files.realms.map((realm) => {
    const keys = parseRealmSecret(readFileSync(join(realm.dataDir, 'realm-secret'), 'utf8').trim(), 'realm');
    const db = new Database(join(realm.dataDir, 'realm.sqlite'), { readonly: true });
    try {
      const row = db.prepare('select sealed from realm_records where id = ?').get(setup.record) as {
        sealed: Buffer;
      };
      const key = db.prepare('select key from realm_record_keys where id = ?').get(setup.record) as {
        key: Buffer;
      };
      return {
        realmId: keys.realmId,
        ...openRecord(sealKey(keys.storageKey, key.key), setup.record, row.sealed),
      };
    } finally {
      db.close();
    }
  });
  const t = setup.threshold;
  if (held.length < t)
    return {
      found: null,
      reason: `the files hold ${held.length} realm share${held.length === 1 ? '' : 's'} and ${t} are needed: no guess can be checked`,
    };

  const expected = Buffer.from(setup.unlockCheck, 'base64url');
  for (const pin of candidates) {
    const input = oprfInput(setup.record, pin);
    const kShares = held.map((h) => {
      // The operator holds the OPRF key: it plays both sides of the evaluation, no realm asked.
      const { blind, blinded } = oprf.blind(input);
      const y = oprf.finalize(input, blind, oprf.blindEvaluate(h.oprfKey, blinded));
      return maskShare(y, h.realmId, setup.record, h.masked);
    });
    const k = await combineChecked(kShares, t, (v) => same(unlockCheck(v, setup.record), expected));
    if (!k) continue;
    const s = await combineChecked(
      held.map((h) => h.share),
      t,
      (v) => same(secretCheck(v, setup.record), Buffer.from(setup.secretCheck, 'base64url')),
    );
    let vaultKeyOpened = false;
    if (s) {
      const { holder } = realmEscrowKeys(s.value);
      const vk = await unwrapVaultKey({
        accountId,
        recipientId: ESCROW_RECIPIENT,
        epoch,
        wrapped,
        recipient: holder,
      });
      vaultKeyOpened = vk.length === 32;
    }
    return { found: pin, vaultKeyOpened };
  }
  return { found: null, reason: 'no candidate matched' };
}
