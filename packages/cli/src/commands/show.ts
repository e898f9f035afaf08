import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { codeTimeOf, openCliVault, parseTimeOption, warnClockSkew } from '../home.js';
import { printable } from '../terminal-text.js';

/** `tessera show QUERY`: one entry's code; an HOTP code advances and saves the counter first. */
export function register(program: Command): void {
  program
    .command('show')
    .description('print the code of the entry QUERY names (issuer or account, case-insensitive)')
    .argument('<query>', 'issuer, account, "issuer:account" or id')
    .option('--copy', 'put the code on the clipboard instead of printing it')
    .option('--json', 'print {id, issuer, account, code, secondsLeft, counter}')
    .option('--time <unix-seconds>', 'the code at this time instead of now (TOTP, Steam)')
    .action(
      async (query: string, options: { copy?: boolean; json?: boolean; time?: string }, command: Command) => {
        const time = parseTimeOption(options.time);
        const vault = await openCliVault(command);
        const { currentCode, entryLabel } = await import('@tessera/vault');
        warnClockSkew(vault);
        const entry = vault.findOne(query);
        // Found before an HOTP counter moves: a code made but never shown would be lost.
        const clipboard = options.copy ? await findClipboard() : null;
        let view = currentCode(entry, codeTimeOf(vault, time));
        let counter: number | null = null;
        if (entry.type === 'hotp') {
          counter = entry.counter ?? 0;
          view = { code: await vault.nextHotp(entry.id), secondsLeft: null };
        }
        const code = view.code!;
        if (clipboard) {
          await copyToClipboard(clipboard, code);
          const left = view.secondsLeft === null ? '' : `, ${view.secondsLeft}s left`;
          process.stderr.write(`copied the code of ${printable(entryLabel(entry))}${left}\n`);
        }
        if (options.json) {
          const { id, issuer, account } = entry;
          process.stdout.write(
            JSON.stringify({ id, issuer, account, code, secondsLeft: view.secondsLeft, counter }) + '\n',
          );
        } else if (!options.copy) {
          process.stdout.write(code + '\n');
        }
        // For `list --sort used`: counted on this device only, after the code is out; a vault that
        // cannot be written to loses a count, never the code.
        await vault.recordUse(entry.id).catch(() => undefined);
      },
    );
}

/** Clipboard tools by platform, first found wins. */
function clipboardTools(): { tool: string; args: string[] }[] {
  if (process.platform === 'darwin') return [{ tool: 'pbcopy', args: [] }];
  if (process.platform === 'win32') return [{ tool: 'clip.exe', args: [] }];
  const tools: { tool: string; args: string[] }[] = [];
  if (process.env.WAYLAND_DISPLAY) tools.push({ tool: 'wl-copy', args: [] });
  if (process.env.DISPLAY)
    tools.push(
      { tool: 'xclip', args: ['-selection', 'clipboard'] },
      { tool: 'xsel', args: ['--clipboard', '--input'] },
    );
  return tools;
}

type ClipboardTool = ReturnType<typeof clipboardTools>[number];

/** The first clipboard tool on PATH for this session; a CliError saying what is needed when none is. */
async function findClipboard(): Promise<ClipboardTool> {
  const { existsSync } = await import('node:fs');
  const { delimiter, join } = await import('node:path');
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const found = clipboardTools().find(({ tool }) => dirs.some((dir) => existsSync(join(dir, tool))));
  if (!found) {
    throw new CliError(
      'no clipboard is reachable (needs wl-copy on Wayland, xclip or xsel on X11, pbcopy, or clip.exe); run without --copy',
    );
  }
  return found;
}

async function copyToClipboard(found: ClipboardTool, text: string): Promise<void> {
  const { spawn } = await import('node:child_process');
  await new Promise<void>((resolve, reject) => {
    // Clipboard tools on X11/Wayland fork a process that keeps serving the selection: wait for the
    // tool's own exit, not for its inherited pipes to close.
    const child = spawn(found.tool, found.args, { stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', (err) => reject(new CliError(`${found.tool} failed: ${err.message}`)));
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new CliError(`${found.tool} exited with status ${code}; the code was not copied`)),
    );
    // A tool that quits before reading (no display) closes the pipe under the write; its exit
    // status says so above, and an unheard EPIPE would crash the command instead.
    child.stdin.on('error', () => undefined);
    child.stdin.end(text);
  });
}
