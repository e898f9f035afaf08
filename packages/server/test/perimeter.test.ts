/**
 * What the server keeps: after a full flow (sign-up, genesis, PIN, items, a second device by PIN,
 * sign-ins), the main database holds no plaintext entry data and nothing that can test a PIN guess.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as opaque from '@serenity-kit/opaque';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { canon } from '@tessera/protocol';
import {
  BACKENDS,
  FAST,
  MAIN_TABLES,
  b64u,
  login,
  newDevice,
  query,
  trustedAccount,
  uniqueEmail,
  useServer,
  type TestStore,
} from './helpers.js';

const SECRET = 'JBSWY3DPEHPK3PXPMARKER';
const ISSUER = 'ExampleBankIssuerMarker';
const LABEL = 'alice.marker@bank.example';
const PIN = '731905';

/** The main database's whole content as text (SQLite: the files' raw bytes). */
async function mainDump(store: TestStore): Promise<string> {
  if (store.backend === 'sqlite') {
    const parts: string[] = [];
    for (const name of await readdir(store.dataDir)) {
      if (name.startsWith('main.sqlite'))
        parts.push((await readFile(join(store.dataDir, name))).toString('latin1'));
    }
    return parts.join('\n');
  }
  const parts: string[] = [];
  for (const table of [...MAIN_TABLES, 'rate_limits']) {
    for (const row of await query(store, `SELECT t::text AS row FROM ${table} t`)) parts.push(row.row);
  }
  return parts.join('\n');
}

describe.each(BACKENDS)('storage perimeter (%s)', (backend) => {
  const { store, api } = useServer(backend);

  it('keeps no entry plaintext and nothing that can test a PIN in the main database', async () => {
    const account = await trustedAccount(api, uniqueEmail());
    // PIN escrow.
    await opaque.ready;
    const reg = opaque.client.startRegistration({ password: PIN });
    const start = await account.api.post('/v1/escrow/register/start', {
      registrationRequest: reg.registrationRequest,
    });
    const { registrationRecord: pinRecord, exportKey } = opaque.client.finishRegistration({
      clientRegistrationState: reg.clientRegistrationState,
      registrationResponse: start.body.registrationResponse,
      password: PIN,
      ...FAST,
    });
    const ek = randomBytes(32);
    expect(
      (
        await account.api.post('/v1/escrow/register/finish', {
          registrationRecord: pinRecord,
          escrowKey: b64u(ek),
        })
      ).status,
    ).toBe(204);
    // Items encrypted as clients do (§3): the server only ever sees ciphertext.
    const itemKey = randomBytes(32);
    const id = randomUUID();
    const plaintext = new TextEncoder().encode(
      canon({ v: 1, entry: { secret: SECRET, issuer: ISSUER, account: LABEL }, clock: {}, deleted: false }),
    );
    const padded = new Uint8Array(512);
    padded.set(plaintext);
    padded[plaintext.length] = 0x80;
    const nonce = randomBytes(24);
    const aad = new TextEncoder().encode(`tessera/v1/item|${account.accountId}|${id}|1`);
    const ciphertext = b64u(Buffer.concat([nonce, xchacha20poly1305(itemKey, nonce, aad).encrypt(padded)]));
    expect(
      (
        await account.api.post('/v1/items', {
          items: [{ id, baseVersion: 0, epoch: 1, ciphertext, deleted: false }],
        })
      ).status,
    ).toBe(200);
    // A new device recovers with the PIN.
    const join = await login(api, { email: account.email, password: account.password, device: newDevice() });
    const phone = api.as(join.body.session);
    const pinLogin = opaque.client.startLogin({ password: PIN });
    const ls = await phone.post('/v1/escrow/login/start', { startLoginRequest: pinLogin.startLoginRequest });
    const fin = opaque.client.finishLogin({
      clientLoginState: pinLogin.clientLoginState,
      loginResponse: ls.body.loginResponse,
      password: PIN,
      ...FAST,
    })!;
    expect(
      (
        await phone.post('/v1/escrow/login/finish', {
          attemptId: ls.body.attemptId,
          finishLoginRequest: fin.finishLoginRequest,
        })
      ).status,
    ).toBe(200);

    const dump = await mainDump(store);
    expect(dump).toContain(account.accountId); // the dump is real
    expect(dump).toContain(ciphertext.slice(0, 40));
    for (const [what, needle] of Object.entries({
      'entry secret': SECRET,
      issuer: ISSUER,
      'account name': LABEL,
      'account password': account.password,
      PIN,
      'PIN OPAQUE record': pinRecord.slice(10, 60),
      'PIN export key': exportKey.slice(0, 30),
      'EK (b64u)': b64u(ek).slice(0, 30),
      'EK (hex)': ek.toString('hex').slice(0, 30),
      'session token': account.api.token!,
    })) {
      expect(dump.includes(needle), `${what} found in the main database`).toBe(false);
    }
    // The escrow's tables are not in the main database at all.
    const tables =
      backend === 'sqlite'
        ? (await query(store, "SELECT name FROM sqlite_master WHERE type = 'table'")).map((r) => r.name)
        : (
            await query(
              store,
              "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'",
            )
          ).map((r) => r.name);
    expect(tables.filter((t: string) => /escrow/.test(t))).toEqual([]);
    // ...but in the escrow's own storage, with EK sealed at rest.
    const escrowRows = await query(
      store,
      'SELECT opaque_record, sealed_ek FROM escrow_records WHERE account_id = ?',
      [account.accountId],
      { escrow: true },
    );
    expect(escrowRows[0].opaque_record).toBe(pinRecord);
    expect(escrowRows[0].sealed_ek).not.toContain(b64u(ek).slice(0, 20));
  });
});
