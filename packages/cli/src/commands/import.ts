import type { Command } from 'commander';
import { CliError, fileError } from '../errors.js';
import { askSecret, givenPassword, openCliVault } from '../home.js';
import { printable } from '../terminal-text.js';

/**
 * `tessera import FILE...`: detect each file's format (or take --format), decrypt with the password
 * given, and store the entries in this device's vault in one atomic write. `--dry-run` stores nothing.
 */

interface ImportOptions {
  format?: string;
  passwordFile?: string;
  dryRun?: boolean;
  json?: boolean;
  listFormats?: boolean;
  deviceOnly?: boolean;
}

async function readSources(files: string[], maxBytes: number) {
  const { readFile, stat } = await import('node:fs/promises');
  const { basename } = await import('node:path');
  const sources = [];
  for (const file of files) {
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new CliError(`${file}: not a file`);
      if (info.size > maxBytes)
        throw new CliError(`${file}: ${info.size} bytes, more than the import limit of ${maxBytes}`);
      sources.push({ name: basename(file), bytes: new Uint8Array(await readFile(file)) });
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw fileError(err, file);
    }
  }
  return sources;
}

async function run(files: string[], opts: ImportOptions, command: Command): Promise<void> {
  const formats = await import('@tessera/formats');
  const { entryLabel } = await import('@tessera/vault');
  if (opts.listFormats) {
    const list = formats.listFormats();
    if (opts.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
    else
      for (const f of list)
        process.stdout.write(`${f.id.padEnd(22)} ${f.name}${f.encrypted ? ' (encrypted files too)' : ''}\n`);
    return;
  }
  if (files.length === 0) throw new CliError('name at least one file to import (or --list-formats)');
  const sources = await readSources(files, formats.LIMITS.maxFileBytes);
  let password = await givenPassword(opts.passwordFile);
  const attempt = () =>
    formats.importFiles({
      sources,
      ...(opts.format ? { format: opts.format } : {}),
      ...(password !== undefined ? { password } : {}),
    });
  let result;
  try {
    result = await attempt();
  } catch (err) {
    if (!(
      err instanceof formats.FormatError &&
      err.code === 'password-required' &&
      password === undefined &&
      process.stdin.isTTY
    ))
      throw err;
    password = await askSecret(`Password for ${err.details.file ?? 'the file'}`);
    result = await attempt();
  }
  const skippedLines = result.skipped.map((s) => {
    const where = s.line !== undefined ? `line ${s.line}` : s.index >= 0 ? `entry ${s.index}` : '';
    const what = [s.file, where, s.label].filter(Boolean).join(' ');
    return printable(`skipped ${what}: ${s.reason}`);
  });
  if (result.entries.length === 0 && result.skipped.length > 0) {
    throw new CliError(`${files.join(', ')}: no entry could be imported; first problem: ${skippedLines[0]}`);
  }

  if (opts.dryRun) {
    if (opts.json) {
      const rows = result.entries.map((e) => ({
        type: e.type,
        issuer: e.issuer,
        account: e.account,
        secret: e.secret,
        algorithm: e.algorithm,
        digits: e.digits,
        period: e.type === 'hotp' ? null : e.period,
        counter: e.type === 'hotp' ? e.counter : null,
      }));
      process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    } else {
      process.stdout.write(
        `${result.entries.length} entries read (${result.format}); nothing stored (--dry-run)\n`,
      );
      for (const e of result.entries)
        process.stdout.write(`  ${e.type.padEnd(5)} ${printable(entryLabel(e))}\n`);
    }
    for (const line of skippedLines) process.stderr.write(`${line}\n`);
    return;
  }

  const vault = await openCliVault(command);
  const { added, duplicates } = await vault.addMany(
    result.entries,
    opts.deviceOnly ? { deviceOnly: true } : {},
  );
  if (opts.json) {
    const out = {
      format: result.format,
      added: added.map((e) => ({ id: e.id, issuer: e.issuer, account: e.account })),
      duplicates: duplicates.map((e) => ({ issuer: e.issuer, account: e.account })),
      skipped: result.skipped,
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return;
  }
  process.stdout.write(
    `Imported from ${files.join(', ')} (${result.format}): ${added.length} added, ${duplicates.length} already stored, ${result.skipped.length} skipped\n`,
  );
  for (const e of duplicates) process.stdout.write(`already stored: ${printable(entryLabel(e))}\n`);
  for (const line of skippedLines) process.stdout.write(`${line}\n`);
}

export function register(program: Command): void {
  program
    .command('import')
    .description(
      "import entries from another app's export (format detected), QR images, or otpauth:// / otpauth-migration:// text; several QR images of one Google export go together",
    )
    .argument('[files...]', 'files to import')
    .option('--format <name>', 'read the files as this format (see --list-formats)')
    .option('--password-file <file>', "file whose first line is the export's password (or TESSERA_PASSWORD)")
    .option('--dry-run', 'read and show the entries without storing them')
    .option('--json', 'print data as JSON (with --dry-run: the entries)')
    .option('--device-only', 'keep the imported entries on this device only (never backed up or synced)')
    .option('--list-formats', 'list the formats Tessera reads')
    .action(async (files: string[], opts: ImportOptions, command: Command) => run(files, opts, command));
}
