/// <reference types="node" />
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { isKeyId, type KeyCustody } from '../file-format.js';

/**
 * The operating system's keychain, driven through its own command-line tool so Tessera needs no
 * native module: Secret Service (`secret-tool`, libsecret), macOS Keychain (`security`), Windows
 * Credential Manager (PowerShell and the PasswordVault API). Secrets go through stdin, never argv.
 * Items are named by the storage key id, which the vault header records.
 */
export interface OsKeychain {
  custody: KeyCustody;
  /** The tool's description for messages. */
  describe: string;
  get(keyId: string): Promise<string | null>;
  set(keyId: string, secret: string, label: string): Promise<void>;
  delete(keyId: string): Promise<void>;
}

const SERVICE = 'tessera-vault';
const TIMEOUT_MS = 20_000;

/** The keychain this machine offers now, or null (no tool, or no session bus to reach it). */
export function detectOsKeychain(
  env: NodeJS.ProcessEnv = process.env,
  platform = process.platform,
): OsKeychain | null {
  const run: Run = (tool, args, input) => runTool(env, tool, args, input);
  if (platform === 'darwin' && onPath('security', env)) return macKeychain(run);
  if (platform === 'win32' && onPath('powershell.exe', env)) return windowsCredentials(run);
  if (platform !== 'darwin' && platform !== 'win32' && onPath('secret-tool', env) && hasSessionBus(env))
    return secretService(run);
  return null;
}

type Run = (
  tool: string,
  args: string[],
  input?: string,
) => Promise<{ code: number; stdout: string; stderr: string }>;

/** The keychain a header's custody names, if this machine has its tool. */
export function osKeychainFor(custody: KeyCustody, env: NodeJS.ProcessEnv = process.env): OsKeychain | null {
  const found = detectOsKeychain(env);
  return found && found.custody === custody ? found : null;
}

const secretService = (run: Run): OsKeychain => ({
  custody: 'os:secret-service',
  describe: 'the Secret Service (secret-tool)',
  async get(keyId) {
    const { code, stdout } = await run('secret-tool', ['lookup', 'service', SERVICE, 'keyid', keyId]);
    return code === 0 && stdout.trim() ? stdout.trim() : null;
  },
  async set(keyId, secret, label) {
    await runOk(
      run,
      'secret-tool',
      ['store', `--label=${label}`, 'service', SERVICE, 'keyid', keyId],
      secret,
      secret,
    );
  },
  async delete(keyId) {
    await run('secret-tool', ['clear', 'service', SERVICE, 'keyid', keyId]);
  },
});

const macKeychain = (run: Run): OsKeychain => ({
  custody: 'os:macos-keychain',
  describe: 'the macOS Keychain (security)',
  async get(keyId) {
    const { code, stdout } = await run('security', [
      'find-generic-password',
      '-s',
      SERVICE,
      '-a',
      keyId,
      '-w',
    ]);
    return code === 0 && stdout.trim() ? stdout.trim() : null;
  },
  async set(keyId, secret, label) {
    // `security -i` reads commands from stdin, which keeps the secret out of the process list.
    // Key ids and secrets are base64url and labels are quoted, so the command line cannot be broken.
    const quotedLabel = `"${label.replace(/["\\]/g, '')}"`;
    await runOk(
      run,
      'security',
      ['-i'],
      `add-generic-password -U -s ${SERVICE} -a ${keyId} -l ${quotedLabel} -w ${secret}\n`,
      secret,
    );
  },
  async delete(keyId) {
    await run('security', ['delete-generic-password', '-s', SERVICE, '-a', keyId]);
  },
});

const POWERSHELL_VAULT =
  '[void][Windows.Security.Credentials.PasswordVault,Windows.Security.Credentials,ContentType=WindowsRuntime];' +
  '$v = New-Object Windows.Security.Credentials.PasswordVault;';

/**
 * The PowerShell scripts for one operation on the item named `keyId`. The id is spliced into the
 * script text, so it is checked again here (the header parser already refuses others): a quote in
 * it would end the string literal and run whatever follows as PowerShell.
 */
export function powershellScript({ op, keyId }: { op: 'get' | 'set' | 'delete'; keyId: string }): string {
  if (!isKeyId(keyId)) {
    throw new Error(
      `refusing the vault key id ${JSON.stringify(String(keyId).slice(0, 40))}: a key id is 16 base64url characters (the vault header was altered)`,
    );
  }
  const item = `'${SERVICE}', '${keyId}'`;
  if (op === 'get')
    return `${POWERSHELL_VAULT} try { $c = $v.Retrieve(${item}); $c.RetrievePassword(); $c.Password } catch { exit 3 }`;
  if (op === 'set')
    return `${POWERSHELL_VAULT} $s = [Console]::In.ReadLine(); $v.Add((New-Object Windows.Security.Credentials.PasswordCredential(${item}, $s)))`;
  return `${POWERSHELL_VAULT} try { $v.Remove($v.Retrieve(${item})) } catch { }`;
}

const windowsCredentials = (run: Run): OsKeychain => ({
  custody: 'os:windows-credentials',
  describe: 'the Windows Credential Manager (PowerShell PasswordVault)',
  async get(keyId) {
    const script = powershellScript({ op: 'get', keyId });
    const { code, stdout } = await run('powershell.exe', [
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      script,
    ]);
    return code === 0 && stdout.trim() ? stdout.trim() : null;
  },
  async set(keyId, secret) {
    const script = powershellScript({ op: 'set', keyId });
    await runOk(
      run,
      'powershell.exe',
      ['-NoProfile', '-NonInteractive', '-Command', script],
      `${secret}\n`,
      secret,
    );
  },
  async delete(keyId) {
    const script = powershellScript({ op: 'delete', keyId });
    await run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', script]);
  },
});

function onPath(tool: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, tool)));
}

/** libsecret talks D-Bus; without a session bus (SSH, containers) secret-tool would only fail. */
function hasSessionBus(env: NodeJS.ProcessEnv): boolean {
  if (env.DBUS_SESSION_BUS_ADDRESS) return true;
  return Boolean(env.XDG_RUNTIME_DIR && existsSync(join(env.XDG_RUNTIME_DIR, 'bus')));
}

async function runTool(
  env: NodeJS.ProcessEnv,
  tool: string,
  args: string[],
  input?: string,
): ReturnType<Run> {
  // Loaded when a tool runs: a command on a file-kept key (and every command before it needs the
  // keychain) does not load node:child_process at start (issue 14, CLI start-up).
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    const child = execFile(
      tool,
      args,
      { env, timeout: TIMEOUT_MS, windowsHide: true },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    // A tool that quits without reading (a locked keychain refusing at once) closes the pipe under
    // the write; its exit code and stderr say why, and an unheard EPIPE would crash the process.
    child.stdin?.on('error', () => undefined);
    if (input === undefined) child.stdin?.end();
    else child.stdin?.end(input);
  });
}

/** Runs a tool that is given `secret` on stdin; a failure names the tool and its first error line. */
async function runOk(run: Run, tool: string, args: string[], input: string, secret: string): Promise<void> {
  const { code, stderr } = await run(tool, args, input);
  if (code === 0) return;
  // A tool may echo what it read (`security -i` reads a whole command line): never pass the secret on.
  const line = (stderr.trim().split('\n')[0] ?? '').split(secret).join('[key]');
  throw new Error(`${tool} failed (exit ${code}): ${line}`);
}
