import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { askSecret, givenPassword, openCliVault } from '../home.js';
import { printable } from '../terminal-text.js';

/**
 * `tessera export --format F`: writes this device's entries, device-only ones included, in an open
 * format. Without --out, text formats go to stdout and Google QR codes are drawn in the terminal.
 */

const FORMATS = ['otpauth', 'google-qr', 'aegis', 'html', 'tessera'] as const;
type Format = (typeof FORMATS)[number];

interface ExportOptions {
  format: string;
  out?: string;
  passwordFile?: string;
}

async function newPassword(format: Format): Promise<string> {
  const first = await askSecret(`Password for the ${format} export`);
  const again = await askSecret('Same password again');
  if (first !== again) throw new CliError('the two passwords differ; nothing written');
  return first;
}

/** Where each file goes: into --out when it is a directory, else --out itself (numbered when several). */
async function targets(out: string, names: string[]): Promise<string[]> {
  const { stat } = await import('node:fs/promises');
  const { join, extname } = await import('node:path');
  const isDir =
    out.endsWith('/') ||
    (await stat(out).then(
      (s) => s.isDirectory(),
      () => false,
    ));
  if (isDir) return names.map((n) => join(out, n));
  if (names.length === 1) return [out];
  const ext = extname(out);
  const stem = ext ? out.slice(0, -ext.length) : out;
  return names.map((_, i) => `${stem}-${i + 1}${ext || extname(names[i]!)}`);
}

async function run(opts: ExportOptions, command: Command): Promise<void> {
  if (!(FORMATS as readonly string[]).includes(opts.format)) {
    throw new CliError(`unknown export format "${opts.format}"; use ${FORMATS.join(', ')}`);
  }
  const format = opts.format as Format;
  let password = await givenPassword(opts.passwordFile);
  if (format === 'tessera' && password === undefined) {
    if (!process.stdin.isTTY)
      throw new CliError('a Tessera backup is always encrypted: give --password-file or TESSERA_PASSWORD');
    password = await newPassword(format);
  }
  const vault = await openCliVault(command);
  const entries = vault.entries();
  const { exportEntries, qrTerminal } = await import('@tessera/formats');
  const result = await exportEntries({ entries, format, ...(password !== undefined ? { password } : {}) });
  for (const s of result.skipped ?? [])
    process.stderr.write(`not exported: ${printable(`${s.label}: ${s.reason}`)}\n`);

  if (opts.out) {
    const { writeFile, mkdir } = await import('node:fs/promises');
    const { dirname } = await import('node:path');
    const paths = await targets(
      opts.out,
      result.files.map((f) => f.name),
    );
    for (const [i, file] of result.files.entries()) {
      await mkdir(dirname(paths[i]!), { recursive: true });
      // Exports hold secrets: readable by the owner only.
      await writeFile(paths[i]!, file.bytes, { mode: 0o600 });
      process.stderr.write(`wrote ${paths[i]}\n`);
    }
    process.stderr.write(`${entries.length - (result.skipped?.length ?? 0)} entries exported (${format})\n`);
    return;
  }
  if (format === 'google-qr') {
    const uris = (result.text ?? '').split('\n').filter((u) => u !== '');
    for (const [i, uri] of uris.entries()) {
      process.stdout.write(
        `QR code ${i + 1} of ${uris.length}: scan with Google Authenticator (Transfer accounts > Import)\n`,
      );
      process.stdout.write(await qrTerminal(uri));
      process.stdout.write('\n');
    }
    return;
  }
  process.stdout.write(result.text ?? '');
}

export function register(program: Command): void {
  program
    .command('export')
    .description(
      "export this device's entries (device-only entries included, since the file stays with you) as an otpauth:// list, Google Authenticator QR codes, an Aegis vault, a printable HTML sheet or a Tessera backup",
    )
    .requiredOption('--format <format>', `one of ${FORMATS.join(', ')}`)
    .option(
      '--out <path>',
      'write to this file (or directory); without it text goes to stdout and QR codes to the terminal',
    )
    .option(
      '--password-file <file>',
      'file whose first line is the password: encrypts aegis, required by tessera (or TESSERA_PASSWORD)',
    )
    .addHelpText(
      'after',
      '\nExports hold your secrets in the clear unless encrypted (aegis with a password, tessera): keep them safe.',
    )
    .action(async (opts: ExportOptions, command: Command) => run(opts, command));
}
