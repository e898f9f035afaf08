// Pins and the manual order sync between two CLI devices of one keychain (real server, SQLite and
// PostgreSQL, one test file each run in parallel: order-{sqlite,postgres}.test.ts; real binary:
// build first with `npx tsc -b packages/cli`): `list` shows the other device's pins and moves,
// `--sort name|used|manual` reorders within the pins, and use counts stay on the device that showed
// the codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signupAccount, TestServer, Workspace, type Backend, type Device } from './keychain-harness.js';

const ENTRIES = [
  ['Delta', 'JBSWY3DPEHPK3PXP'],
  ['alpha', 'GEZDGNBVGY3TQOJQ'],
  ['Charlie', 'KRSXG5CTMVRXEZLU'],
  ['bravo', 'MFRGGZDFMZTWQ2LK'],
] as const;

/** The issuer column of `tessera list` (pinned rows keep their `*`). */
async function listed(device: Device, args: string[] = []): Promise<string[]> {
  const out = await device.ok(['list', '--time', '1700000000', ...args]);
  return out
    .trimEnd()
    .split('\n')
    .map((line) => (line.startsWith('* ') ? '*' : '') + line.replace(/^(\* | {2})/, '').split(/\s{2,}/)[0]);
}

/**
 * Registers the scenario for one database backend. PostgreSQL runs only when the tests are given a
 * database (`TESSERA_TEST_DATABASE_URL`), as before the split.
 */
export function orderScenario(backend: Backend): void {
  describe.skipIf(backend === 'postgres' && !process.env.TESSERA_TEST_DATABASE_URL)(
    `order and pins across CLI devices (${backend})`,
    { timeout: 180_000 },
    () => {
      const ws = new Workspace();
      const a = ws.device();
      const b = ws.device();
      let server: TestServer;

      beforeAll(async () => {
        server = await TestServer.start(backend, ws.dir);
        for (const [issuer, secret] of ENTRIES)
          await a.ok(['add', '--secret', secret, '--issuer', issuer, '--account', 'me']);
        await signupAccount(a, server.url, `order-${backend}@example.com`);
        await b.joinApprovedBy(a, { server: server.url, email: `order-${backend}@example.com` });
      }, 180_000);
      afterAll(async () => {
        await server?.close();
        ws.remove();
      });

      it("shows the other device's pins and moves, in every sort", async () => {
        expect(await listed(b)).toEqual(['Delta', 'alpha', 'Charlie', 'bravo']);
        expect(await a.ok(['pin', 'Charlie'])).toBe(
          'pinned Charlie (me) (on every device of the keychain after the next sync)\n',
        );
        expect(await a.ok(['move', 'bravo', '--before', 'Delta'])).toBe(
          'moved bravo (me) to position 2 of 4\n',
        );
        await a.ok(['sync']);
        await b.ok(['sync']);
        expect(await listed(b)).toEqual(['*Charlie', 'bravo', 'Delta', 'alpha']);
        expect(await listed(b, ['--sort', 'name'])).toEqual(['*Charlie', 'alpha', 'bravo', 'Delta']);
        const json = JSON.parse(await b.ok(['list', '--json'])) as { issuer: string; pinned: boolean }[];
        expect(json.map((e) => [e.issuer, e.pinned])).toEqual([
          ['Charlie', true],
          ['bravo', false],
          ['Delta', false],
          ['alpha', false],
        ]);

        // And back: a move and an unpin on B reach A.
        await b.ok(['move', 'alpha', '--top']);
        await b.ok(['unpin', 'Charlie']);
        await b.ok(['sync']);
        await a.ok(['sync']);
        expect(await listed(a)).toEqual(['alpha', 'bravo', 'Delta', 'Charlie']);
      });

      it('sorts by use on the device that showed the codes, and keeps the counts there', async () => {
        for (const query of ['Delta', 'Delta', 'Charlie']) await b.ok(['show', query]);
        expect(await listed(b, ['--sort', 'used'])).toEqual(['Delta', 'Charlie', 'alpha', 'bravo']);
        await b.ok(['sync']);
        await a.ok(['sync']);
        expect(await listed(a, ['--sort', 'used'])).toEqual(['alpha', 'bravo', 'Charlie', 'Delta']);
      });

      it('refuses what it cannot do, with a line that says why', async () => {
        await a.ok(['pin', 'Delta']);
        const across = await a.run(['move', 'alpha', '--before', 'Delta']);
        expect(across.code).toBe(1);
        expect(across.stderr).toMatch(/Delta \(me\) is pinned and alpha \(me\) is not/);
        const none = await a.run(['move', 'alpha']);
        expect(none.code).toBe(1);
        expect(none.stderr).toMatch(/give one of --before OTHER, --after OTHER, --top, --bottom/);
        const sort = await a.run(['list', '--sort', 'random']);
        expect(sort.code).toBe(1);
        expect(sort.stderr).toMatch(/--sort takes manual, name, used, not random/);
      });
    },
  );
}
