import type { Command } from 'commander';
import type { Keychain, LoginResult } from '@tessera/vault/keychain';
import { CliError, fileError } from '../errors.js';
import { askSecret, openCliVault, readSecretFile } from '../home.js';
import { keychainFor, showNotices, syncNow } from './sync.js';
import { printable } from '../terminal-text.js';

/** How long `login` waits for approval: the life of a join request. */
const APPROVAL_WAIT_MS = 10 * 60 * 1000;
const APPROVAL_POLL_MS = 300;
/** How long the server may hold each look at the relay (long polling, below its 25 s cap). */
const APPROVAL_RELAY_WAIT_MS = 20_000;

interface AccountOptions {
  server: string;
  email: string;
  passwordFile?: string;
  deviceName?: string;
  json?: boolean;
}

/** `tessera keychain ...`: sign up, join, approve, recover, PIN, devices and status. */
export function register(program: Command): void {
  const keychain = program
    .command('keychain')
    .description('end-to-end encrypted backup and restore across your devices');

  keychain
    .command('signup')
    .description(
      'create a keychain account; this device becomes its first trusted device and backs up every entry',
    )
    .requiredOption('--server <url>', 'keychain server, e.g. https://keys.example.org')
    .requiredOption('--email <email>', 'account email')
    .option('--password-file <file>', 'file whose first line is the account password (or TESSERA_PASSWORD)')
    .option(
      '--recovery-key-file <file>',
      'write the recovery key to this file (mode 0600) instead of showing it',
    )
    .option('--pin-file <file>', 'file whose first line is the keychain PIN to set (or TESSERA_PIN)')
    .option('--device-name <name>', 'name of this device in the keychain')
    .option('--json', 'print the result as JSON')
    .action(
      async (options: AccountOptions & { recoveryKeyFile?: string; pinFile?: string }, command: Command) => {
        const password = await secret({
          file: options.passwordFile,
          env: 'TESSERA_PASSWORD',
          what: 'password file',
          prompt: 'Keychain password',
        });
        const pin = await optionalPin(options.pinFile);
        const kc = await import('@tessera/vault/keychain');
        if (pin !== null) kc.checkPin(pin);
        const keeper = recoveryKeyKeeper(options.recoveryKeyFile);
        const { keychain: client } = await open(command);
        let result: Awaited<ReturnType<typeof kc.signup>>;
        try {
          result = await kc.signup(client, {
            server: options.server,
            email: options.email,
            password,
            deviceName: await deviceName(options.deviceName),
            keepRecoveryKey: keeper.keep,
          });
        } catch (err) {
          // No account came of it (a taken email, an unreachable server): a key file left behind
          // would look valid, and would block the retry with the same file name.
          if (!client.state || client.state.status === 'removed') await keeper.discard();
          throw err;
        }
        if (pin !== null) await kc.setPin(client, pin);
        const { result: round } = await syncNow(client, { verify: true });
        if (options.json) {
          process.stdout.write(
            JSON.stringify({ ...result, backedUp: round.pushed, pin: pin !== null }) + '\n',
          );
        } else {
          process.stdout.write(
            `keychain created for ${options.email}; this device is trusted; ${round.pushed} entries backed up${pin !== null ? `; PIN set, held by ${kc.keychainStatus(client).pin?.summary}` : ''}\n`,
          );
        }
      },
    );

  keychain
    .command('login')
    .description(
      'join an existing keychain: this device shows a code, waits for approval, then restores every entry',
    )
    .requiredOption('--server <url>', 'keychain server')
    .requiredOption('--email <email>', 'account email')
    .option('--password-file <file>', 'file whose first line is the account password (or TESSERA_PASSWORD)')
    .option('--device-name <name>', 'name of this device in the keychain')
    .option('--json', 'print JSON lines: {deviceId, verificationCode} at once, the result once approved')
    .option('--no-wait', 'show the code and return; `tessera keychain login` again resumes waiting')
    .action(async (options: AccountOptions & { wait: boolean }, command: Command) => {
      const { keychain: client, vault } = await open(command);
      if (await signInAgainIfTrusted(client, options)) return;
      const joined = (await resumableJoin(client, options)) ?? (await loginWith(client, options));
      if (options.json) {
        process.stdout.write(
          JSON.stringify({
            deviceId: joined.deviceId,
            verificationCode: joined.verificationCode,
            status: 'pending',
          }) + '\n',
        );
      } else {
        process.stdout.write(`verification code: ${joined.verificationCode}\n`);
        process.stderr.write(
          'On a trusted device, run `tessera keychain approve --code ' +
            joined.verificationCode +
            '` (or type it in the web app under Devices),\n' +
            'or here: `tessera keychain recover --pin-file F` or `--recovery-key-file F`.\n',
        );
      }
      if (!options.wait) return;
      if (!options.json)
        process.stderr.write('Waiting for approval (Ctrl-C to stop; `login` again resumes)...\n');
      await waitForApproval(client);
      await syncNow(client, { verify: true });
      const restored = vault.entries().length;
      if (options.json)
        process.stdout.write(
          JSON.stringify({ deviceId: joined.deviceId, status: 'trusted', restored }) + '\n',
        );
      else process.stdout.write(`approved; ${restored} entries restored\n`);
      warnIfNothingRestored(restored);
    });

  keychain
    .command('status')
    .description('account, this device, trust, last backup and verification, pending changes, notices')
    .option('--json', 'print JSON')
    .option('--offline', 'do not contact the server')
    .option('--all', 'every notice kept, with those done (acted on, overtaken, expired, dismissed)')
    .action(async (options: { json?: boolean; offline?: boolean; all?: boolean }, command: Command) => {
      const { keychain: client } = await open(command);
      const kc = await import('@tessera/vault/keychain');
      let refreshError: string | null = null;
      let sessionEnded = false;
      if (client.state && !options.offline) {
        try {
          await syncNow(client);
        } catch (err) {
          refreshError = (err as Error).message;
          sessionEnded = err instanceof kc.KeychainError && err.code === 'not-signed-in';
        }
      }
      const status = {
        ...kc.keychainStatus(client),
        ...(options.all && client.state ? { notices: kc.allNotices(client.state) } : {}),
        ...(refreshError ? { refreshError } : {}),
        ...(sessionEnded ? { sessionEnded } : {}),
      };
      if (options.json) {
        process.stdout.write(JSON.stringify(status) + '\n');
        return;
      }
      if (!status.signedIn) {
        process.stdout.write('not signed in to a keychain (tessera keychain signup | login)\n');
        return;
      }
      const lines = [
        `account:        ${status.account} on ${status.server}`,
        `device:         ${status.deviceName} (${status.deviceId})`,
        `trusted:        ${sessionEnded && status.status === 'trusted' ? "signed out: the server ended this device's session (removed, account locked, or expired); `tessera keychain login` signs in again or says why" : status.trusted ? 'yes' : status.status === 'pending' ? 'no, waiting for approval' : 'no, removed'}`,
        `devices:        ${status.trustedDevices} trusted; key epoch ${status.keyEpoch ?? '-'}`,
        `last backup:    ${status.lastBackupAt ?? 'never'}`,
        `last verified:  ${status.lastVerifiedAt ? `${status.lastVerifiedAt} (${status.lastVerifyOk ? 'ok' : 'MISMATCH'})` : 'never'}`,
        `pending:        ${status.pendingChanges} change${status.pendingChanges === 1 ? '' : 's'} not yet backed up`,
        `PIN:            ${status.pin?.summary ?? 'unknown until this device sees the keychain'}`,
      ];
      if (refreshError) lines.push(`server:         unreachable or refused: ${refreshError}`);
      else if (status.lastError) lines.push(`last error:     ${status.lastError}`);
      for (const notice of status.notices)
        lines.push(
          `notice:         ${notice.createdAt} ${notice.message}${notice.done ? ` (done: ${notice.done})` : ''}`,
        );
      if (!options.all && status.doneNotices > 0)
        lines.push(
          `                ${status.doneNotices} older notice${status.doneNotices === 1 ? '' : 's'} done (\`keychain status --all\`)`,
        );
      process.stdout.write(lines.map(printable).join('\n') + '\n');
      await markNoticesShown(client);
    });

  keychain
    .command('devices')
    .description(
      'devices of the keychain (trusted and removed as the verified circle says; pending requests)',
    )
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { keychain: client } = await open(command);
      const { listDevices } = await import('@tessera/vault/keychain');
      const devices = await listDevices(client);
      if (options.json) {
        process.stdout.write(JSON.stringify(devices) + '\n');
        return;
      }
      for (const d of devices) {
        process.stdout.write(
          printable(
            `${d.id}  ${d.status.padEnd(8)} ${d.name}${d.thisDevice ? ' (this device)' : ''}${d.via ? ` via ${d.via}` : ''}${pendingNote(d)}`,
          ) + '\n',
        );
      }
    });

  keychain
    .command('rename-device')
    .description('rename a trusted device (this one or another); every device shows the new name')
    .argument('<id>', 'device id (see `tessera keychain devices`)')
    .argument('<name>', 'the new name, e.g. "Work laptop"')
    .action(async (id: string, name: string, _options: unknown, command: Command) => {
      const { keychain: client } = await open(command);
      const { renameDevice } = await import('@tessera/vault/keychain');
      const old = await renameDevice(client, { deviceId: id, name });
      process.stdout.write(printable(`renamed ${old} to ${name.trim()}`) + '\n');
    });

  keychain
    .command('approve')
    .description('approve the new device that shows this verification code (it must be waiting)')
    .requiredOption('--code <code>', 'the 8-digit code shown on the new device, e.g. 1234-5678')
    .option('--device <id>', 'which waiting device, when several are waiting (see `keychain devices`)')
    .option('--json', 'print the approved device as JSON')
    .action(async (options: { code: string; device?: string; json?: boolean }, command: Command) => {
      const { keychain: client } = await open(command);
      const { approve } = await import('@tessera/vault/keychain');
      const device = await approve(client, { code: options.code, deviceId: options.device }).catch(
        (err: Error) => {
          if (/devices are waiting for approval/.test(err.message))
            throw new CliError(`${err.message.replace(/\.$/, '')} with --device ID.`);
          throw err;
        },
      );
      if (options.json) process.stdout.write(JSON.stringify(device) + '\n');
      else process.stdout.write(`approved ${printable(`${device.name} (${device.id})`)}\n`);
      await showNotices(client);
    });

  keychain
    .command('recover')
    .description('make this device trusted with the recovery key or the keychain PIN, then restore')
    .option('--recovery-key-file <file>', 'file holding the recovery key')
    .option('--pin-file <file>', 'file whose first line is the keychain PIN (or TESSERA_PIN)')
    .option('--server <url>', 'keychain server (when this device is not signed in yet)')
    .option('--email <email>', 'account email (when this device is not signed in yet)')
    .option('--password-file <file>', 'account password file (or TESSERA_PASSWORD), when not signed in yet')
    .option('--device-name <name>', 'name of this device in the keychain')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        options: Partial<AccountOptions> & { recoveryKeyFile?: string; pinFile?: string },
        command: Command,
      ) => {
        if (options.recoveryKeyFile && options.pinFile)
          throw new CliError('give one of --recovery-key-file or --pin-file, not both');
        if (!options.recoveryKeyFile && !options.pinFile && !process.env.TESSERA_PIN)
          throw new CliError('give --recovery-key-file or --pin-file (or TESSERA_PIN)');
        const kc = await import('@tessera/vault/keychain');
        // Read (and check) the secret before any network call: a typo in a recovery key costs nothing.
        const recoveryKey = options.recoveryKeyFile
          ? await readWholeFile(options.recoveryKeyFile, 'recovery key file')
          : null;
        if (recoveryKey !== null) kc.parseRecoveryKey(recoveryKey);
        const pin = recoveryKey === null ? await optionalPin(options.pinFile) : null;
        const { keychain: client, vault } = await open(command);
        if (!client.state || client.state.status === 'removed') {
          if (!options.server || !options.email)
            throw new CliError(
              'this device is not signed in: give --server and --email (and --password-file) to sign in and recover at once',
            );
          // No approval run: this device joins by itself next (no code, no CPace share to post).
          await loginWith(client, options as AccountOptions, {
            toRecover: true,
            joinBy: recoveryKey !== null ? 'recovery-key' : 'pin',
          });
        }
        let movedToRealms = false;
        if (recoveryKey !== null) await kc.recoverWithRecoveryKey(client, recoveryKey);
        else ({ movedToRealms } = await kc.recoverWithPin(client, pin!));
        await syncNow(client, { verify: true });
        const restored = vault.entries().length;
        const pinNow = movedToRealms ? kc.keychainStatus(client).pin?.summary : undefined;
        if (options.json)
          process.stdout.write(
            JSON.stringify({
              deviceId: client.state!.deviceId,
              trusted: true,
              restored,
              ...(movedToRealms ? { pinMovedToRealms: true } : {}),
            }) + '\n',
          );
        else {
          process.stdout.write(`this device is trusted; ${restored} entries restored\n`);
          if (pinNow) process.stdout.write(`the PIN is now held by ${pinNow}\n`);
        }
        warnIfNothingRestored(restored);
      },
    );

  keychain
    .command('password')
    .description(
      'change the account password (proves the current one); every other session ends and pending devices are evicted',
    )
    .option('--password-file <file>', 'file whose first line is the current password (or TESSERA_PASSWORD)')
    .option(
      '--new-password-file <file>',
      'file whose first line is the new password (or TESSERA_NEW_PASSWORD)',
    )
    .action(async (options: { passwordFile?: string; newPasswordFile?: string }, command: Command) => {
      const current = await secret({
        file: options.passwordFile,
        env: 'TESSERA_PASSWORD',
        what: 'password file',
        prompt: 'Current keychain password',
      });
      const next = await secret({
        file: options.newPasswordFile,
        env: 'TESSERA_NEW_PASSWORD',
        what: 'new password file',
        prompt: 'New keychain password',
      });
      const { keychain: client } = await open(command);
      const { changePassword } = await import('@tessera/vault/keychain');
      await changePassword(client, { current, next });
      process.stdout.write(
        'password changed; every other session ended and pending devices were evicted; sign in again on your other devices with `tessera keychain login`\n',
      );
    });

  keychain
    .command('set-pin')
    .description(
      'set or replace the keychain PIN (a new device can then join with it; 10 wrong PINs lock it)',
    )
    .option('--pin-file <file>', 'file whose first line is the new PIN (or TESSERA_PIN)')
    .action(async (options: { pinFile?: string }, command: Command) => {
      const pin = await secret({
        file: options.pinFile,
        env: 'TESSERA_PIN',
        what: 'PIN file',
        prompt: 'New keychain PIN',
      });
      const { keychain: client } = await open(command);
      const { setPin, keychainStatus } = await import('@tessera/vault/keychain');
      await setPin(client, pin);
      process.stdout.write(
        `keychain PIN set; held by ${keychainStatus(client).pin?.summary ?? 'the escrow'}\n`,
      );
    });

  keychain
    .command('remove-device')
    .description(
      'remove a device: rotates the vault key and re-encrypts everything, so it reads nothing new; ' +
        'also replaces the recovery key and the PIN escrow, so nothing from before the removal restores an old view',
    )
    .argument('<id>', 'device id (see `tessera keychain devices`)')
    .option(
      '--recovery-key-file <file>',
      'write the NEW recovery key to this file (mode 0600) instead of showing it',
    )
    .option(
      '--pin-file <file>',
      'keep a keychain PIN: file whose first line is the PIN (or TESSERA_PIN); without it the PIN is turned off',
    )
    .action(async (id: string, options: { recoveryKeyFile?: string; pinFile?: string }, command: Command) => {
      const { keychain: client } = await open(command);
      if (await evictIfPending(client, id)) return;
      const pin = await optionalPin(options.pinFile);
      const kc = await import('@tessera/vault/keychain');
      if (pin !== null) kc.checkPin(pin);
      const keepRecoveryKey = recoveryKeyKeeper(options.recoveryKeyFile).keep;
      const device = await kc.removeDevice(client, id, { keepRecoveryKey, ...(pin !== null ? { pin } : {}) });
      process.stdout.write(
        `removed ${printable(`${device.name} (${device.id})`)}; the vault key was rotated and every entry re-encrypted; ` +
          `the recovery key was replaced${options.recoveryKeyFile ? ` (new key in ${options.recoveryKeyFile})` : ''}; ` +
          `${pin !== null ? 'the PIN was set again under a new escrow key' : 'the keychain PIN is now off (set one with `tessera keychain set-pin`)'}\n`,
      );
    });

  keychain
    .command('lock-account')
    .description(
      "kill switch after a theft: ends every session (this device's too) and evicts every pending device; " +
        'trusted devices keep their codes and sign in again with `tessera keychain login`',
    )
    .action(async (_options: unknown, command: Command) => {
      const { keychain: client } = await open(command);
      const { lockAccount } = await import('@tessera/vault/keychain');
      await lockAccount(client);
      process.stdout.write(
        'account locked: every session ended, this one too, and every pending device evicted; ' +
          'sign in again on each trusted device with `tessera keychain login`\n',
      );
    });

  keychain
    .command('rotate-recovery-key')
    .description(
      'make a new recovery key and retire the old one (the vault key rotates too, so the old key reads nothing new)',
    )
    .option(
      '--recovery-key-file <file>',
      'write the new recovery key to this new file (mode 0600) instead of showing it',
    )
    .action(async (options: { recoveryKeyFile?: string }, command: Command) => {
      const keepRecoveryKey = recoveryKeyKeeper(options.recoveryKeyFile).keep;
      const { keychain: client } = await open(command);
      const { rotateRecoveryKey } = await import('@tessera/vault/keychain');
      await rotateRecoveryKey(client, { keepRecoveryKey });
      process.stdout.write(
        `recovery key replaced${options.recoveryKeyFile ? ` (new key in ${options.recoveryKeyFile})` : ''}; the old one no longer restores the keychain\n`,
      );
    });
}

/** ` pending, asked <when>` for a join request nobody approved yet. */
function pendingNote(device: { status: string; createdAt: string | null }): string {
  return device.status === 'pending'
    ? `  (pending: asked to join ${device.createdAt ?? 'at an unknown time'})`
    : '';
}

/**
 * `remove-device` on a pending device: evicts the join request (docs/PROTOCOL.md §10). It never
 * held a key, so no rotation, recovery key or PIN is involved. False when the device is not pending.
 */
async function evictIfPending(client: Keychain, id: string): Promise<boolean> {
  const { listDevices, evictPendingDevice } = await import('@tessera/vault/keychain');
  const device = (await listDevices(client)).find((d) => d.id === id);
  if (!device || device.status !== 'pending') return false;
  const name = await evictPendingDevice(client, { deviceId: id });
  process.stdout.write(
    `removed the pending request of ${printable(`${name} (${id})`)}; its session no longer works\n`,
  );
  return true;
}

async function open(
  command: Command,
): Promise<{ keychain: Keychain; vault: import('@tessera/vault').Vault }> {
  const vault = await openCliVault(command);
  return { keychain: await keychainFor(vault), vault };
}

/**
 * `login` on a trusted device whose session ended (lock-account, session lifetime): a new session
 * for the same device, proven by its device key, with no approval (docs/PROTOCOL.md §10.2).
 */
async function signInAgainIfTrusted(client: Keychain, options: AccountOptions): Promise<boolean> {
  const state = client.state;
  if (!state || state.status !== 'trusted') return false;
  const { signInAgain, normalizeServer } = await import('@tessera/vault/keychain');
  if (state.server !== normalizeServer(options.server) || state.email !== options.email)
    throw new CliError(
      `this device is a trusted device of ${state.email} on ${state.server}; give that --server and --email to sign in again`,
    );
  const password = await secret({
    file: options.passwordFile,
    env: 'TESSERA_PASSWORD',
    what: 'password file',
    prompt: 'Keychain password',
  });
  await signInAgain(client, { password });
  if (options.json) process.stdout.write(JSON.stringify({ deviceId: state.deviceId, trusted: true }) + '\n');
  else process.stdout.write('signed in again; this device is still trusted\n');
  return true;
}

/**
 * A pending device whose approval run is still live resumes it with the same code (the trusted
 * device may be typing it); null when there is none to resume and a new sign-in is needed.
 */
async function resumableJoin(
  client: Keychain,
  options: AccountOptions,
): Promise<{ deviceId: string; verificationCode: string } | null> {
  const state = client.state;
  if (!state || state.status !== 'pending') return null;
  const { normalizeServer, liveJoinCode } = await import('@tessera/vault/keychain');
  if (state.server !== normalizeServer(options.server) || state.email !== options.email)
    throw new CliError(
      `this device is waiting to join ${state.email} on ${state.server}; give that --server and --email, or approve or evict it there first`,
    );
  const code = liveJoinCode(client);
  return code === null ? null : { deviceId: state.deviceId, verificationCode: code };
}

async function loginWith(client: Keychain, options: AccountOptions): Promise<LoginResult>;
async function loginWith(
  client: Keychain,
  options: AccountOptions,
  mode: { toRecover: true; joinBy: 'recovery-key' | 'pin' },
): Promise<unknown>;
async function loginWith(
  client: Keychain,
  options: AccountOptions,
  mode?: { toRecover: true; joinBy: 'recovery-key' | 'pin' },
) {
  const password = await secret({
    file: options.passwordFile,
    env: 'TESSERA_PASSWORD',
    what: 'password file',
    prompt: 'Keychain password',
  });
  const { login, signInToRecover } = await import('@tessera/vault/keychain');
  const signIn = {
    server: options.server,
    email: options.email,
    password,
    deviceName: await deviceName(options.deviceName),
  };
  return mode?.toRecover
    ? signInToRecover(client, { ...signIn, joinBy: mode.joinBy })
    : login(client, signIn);
}

/**
 * Waits until a trusted device (or `recover` in another terminal) has made this device trusted: each
 * look at the relay is held by the server until there is news (long polling; a `recover` here changes
 * the device's status, which is news too), or made every APPROVAL_POLL_MS on a server without it.
 */
async function waitForApproval(client: Keychain): Promise<void> {
  const { completeJoin } = await import('@tessera/vault/keychain');
  const started = Date.now();
  let dots = 0;
  while (!(await completeJoin(client, { pollMs: APPROVAL_POLL_MS, waitMs: APPROVAL_RELAY_WAIT_MS }))) {
    if (Date.now() - started > APPROVAL_WAIT_MS) {
      throw new CliError('no approval within 10 minutes; run `tessera keychain login` again for a new code');
    }
    if (process.stderr.isTTY && ++dots % 5 === 0) process.stderr.write('.');
    client.reload();
  }
  if (process.stderr.isTTY && dots >= 5) process.stderr.write('\n');
}

/** A secret from its file, its environment variable, or a prompt on a terminal. */
async function secret(options: {
  file?: string;
  env: string;
  what: string;
  prompt: string;
}): Promise<string> {
  if (options.file) return readSecretFile(options.file, options.what);
  const value = process.env[options.env];
  if (value) return value;
  if (process.stdin.isTTY) return askSecret(options.prompt);
  throw new CliError(
    `no ${options.what.replace(' file', '')} given: use --${options.what.replace(' ', '-')} F or ${options.env}`,
  );
}

async function readWholeFile(file: string, what: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw fileError(err, file, what);
  }
}

async function deviceName(given: string | undefined): Promise<string> {
  if (given) {
    if (given.length > 64) throw new CliError('--device-name: at most 64 characters');
    return given;
  }
  const { hostname } = await import('node:os');
  const { distinctDeviceName } = await import('@tessera/vault');
  return distinctDeviceName(`${hostname()} (CLI)`);
}

/**
 * Where the recovery key goes before the keychain is created: a new 0600 file, or the terminal,
 * where the user must type it back (a key nobody wrote down is no recovery key).
 */
function recoveryKeyKeeper(file: string | undefined): RecoveryKeyKeeper {
  if (file) {
    let written = false;
    return {
      async keep(key) {
        const { writeFile } = await import('node:fs/promises');
        try {
          await writeFile(file, key + '\n', { mode: 0o600, flag: 'wx' });
          written = true;
        } catch (err) {
          throw new CliError(
            `cannot write the recovery key to ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (the file must not exist yet)`,
          );
        }
      },
      async discard() {
        if (!written) return;
        const { rm } = await import('node:fs/promises');
        await rm(file, { force: true });
      },
    };
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new CliError(
      'not on a terminal: give --recovery-key-file F so the recovery key is saved, not lost in a log',
    );
  }
  let shown = false;
  return {
    async keep(key) {
      const { parseRecoveryKey } = await import('@tessera/vault/keychain');
      process.stdout.write(
        `\nYour recovery key (shown once; write it down and keep it safe):\n\n    ${key}\n\n`,
      );
      shown = true;
      for (let attempt = 0; attempt < 3; attempt++) {
        const typed = await askSecret('Type the recovery key back to confirm');
        try {
          if (parseRecoveryKey(typed).join() === parseRecoveryKey(key).join()) {
            process.stdout.write('\x1b[2A\x1b[J');
            return;
          }
        } catch {
          // fall through to the retry message
        }
        process.stderr.write('that is not the recovery key shown above; try again\n');
      }
      throw new CliError('the recovery key was not confirmed; nothing was changed');
    },
    async discard() {
      if (shown)
        process.stderr.write('tessera: no keychain was created: the recovery key shown above is void\n');
    },
  };
}

/** Keeps the recovery key before the account exists, and takes it back if sign-up then fails. */
interface RecoveryKeyKeeper {
  keep(key: string): Promise<void>;
  discard(): Promise<void>;
}

async function markNoticesShown(client: Keychain): Promise<void> {
  const { takeUnshownNotices } = await import('@tessera/vault/keychain');
  await takeUnshownNotices(client);
}

/**
 * Recovery refuses a keychain the user's recovery key or PIN did not sign (docs/SECURITY.md, "A new
 * device's first view of the keychain"); an empty restore is still worth a word, as a last check.
 */
function warnIfNothingRestored(count: number): void {
  if (count > 0) return;
  process.stderr.write(
    'tessera: warning: nothing was restored. If this keychain should hold entries, check that this device appears in ' +
      '`tessera keychain devices` on another device before adding entries here (see docs/SECURITY.md).\n',
  );
}

/** The keychain PIN from `--pin-file` or `TESSERA_PIN`, or null when neither is given. */
async function optionalPin(pinFile: string | undefined): Promise<string | null> {
  if (!pinFile && !process.env.TESSERA_PIN) return null;
  return secret({ file: pinFile, env: 'TESSERA_PIN', what: 'PIN file', prompt: 'Keychain PIN' });
}
