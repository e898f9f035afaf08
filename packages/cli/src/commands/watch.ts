import type { Command } from 'commander';
import type { Vault, VaultEntry } from '@tessera/vault';
import { CliError } from '../errors.js';
import { openCliVault } from '../home.js';
import { printable } from '../terminal-text.js';

/** Terminal control sequences (ECMA-48 / xterm). */
const CSI = '\x1b[';
const ENTER_SCREEN = `${CSI}?1049h${CSI}?25l`; // alternate screen, hide cursor
const LEAVE_SCREEN = `${CSI}0m${CSI}?25h${CSI}?1049l`; // reset colours, show cursor, main screen
const HOME = `${CSI}H`;
const CLEAR_LINE = `${CSI}K`;
const CLEAR_BELOW = `${CSI}J`;
const INVERSE = `${CSI}7m`;
const DIM = `${CSI}2m`;
const YELLOW = `${CSI}33m`;
const RED = `${CSI}31m`;
const RESET = `${CSI}0m`;

/** How often changes made by other processes (an `add` in another terminal) are picked up. */
const REFRESH_EVERY_MS = 3_000;

/** `tessera watch`: a live full-screen list of codes with search as you type. */
export function register(program: Command): void {
  program
    .command('watch')
    .description(
      'live full-screen codes: type to search, arrows to select, Enter for an HOTP code, q or Ctrl-C to quit',
    )
    .action(async (_options: unknown, command: Command) => {
      if (!process.stdin.isTTY || !process.stdout.isTTY)
        throw new CliError('watch needs a terminal; use `tessera list` in scripts');
      const vault = await openCliVault(command);
      const { currentCode, entryLabel } = await import('@tessera/vault');
      await new WatchScreen(vault, currentCode, (entry) => printable(entryLabel(entry))).run();
    });
}

type CurrentCode = typeof import('@tessera/vault').currentCode;
type EntryLabel = typeof import('@tessera/vault').entryLabel;

/** The state and drawing of the live list; one instance per `watch` run. */
class WatchScreen {
  private search = '';
  private selected = 0;
  /** HOTP codes revealed with Enter in this session, by entry id. */
  private readonly revealed = new Map<string, string>();
  private message = '';
  private finish: (() => void) | null = null;

  constructor(
    private readonly vault: Vault,
    private readonly currentCode: CurrentCode,
    private readonly entryLabel: EntryLabel,
  ) {}

  /** Takes over the terminal until q / Ctrl-C, and always gives it back as it was. */
  async run(): Promise<void> {
    const { stdin, stdout } = process;
    const restore = () => {
      stdout.write(LEAVE_SCREEN);
      if (stdin.isTTY) stdin.setRawMode(false);
    };
    const onSignal = () => this.finish?.();
    const onKeys = (chunk: Buffer) => void this.handleKeys(chunk.toString('utf8'));
    const onResize = () => this.draw();
    let tick: NodeJS.Timeout | undefined;
    let refresh: NodeJS.Timeout | undefined;
    process.on('exit', restore);
    try {
      stdout.write(ENTER_SCREEN);
      stdin.setRawMode(true);
      stdin.on('data', onKeys);
      stdin.resume();
      stdout.on('resize', onResize);
      for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.on(signal, onSignal);
      this.draw();
      const done = new Promise<void>((resolve) => (this.finish = resolve));
      // Redraw on each second boundary so the countdown ticks with the wall clock.
      const startTicking = () => {
        this.draw();
        tick = setInterval(() => this.draw(), 1000);
      };
      const align = setTimeout(startTicking, 1000 - (Date.now() % 1000));
      refresh = setInterval(() => {
        this.vault.refresh().then(
          () => this.draw(),
          (err: Error) => this.flash(`could not re-read the vault: ${err.message}`),
        );
      }, REFRESH_EVERY_MS);
      await done;
      clearTimeout(align);
    } finally {
      clearInterval(tick);
      clearInterval(refresh);
      stdin.off('data', onKeys);
      stdout.off('resize', onResize);
      for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.off(signal, onSignal);
      stdin.pause();
      restore();
      process.off('exit', restore);
    }
  }

  private async handleKeys(keys: string): Promise<void> {
    // Whole escape sequences first (arrows), then one character at a time (typing, pasting).
    // eslint-disable-next-line no-control-regex -- terminal key sequences start with ESC
    const arrow = /^\x1b\[([AB])$|^\x1bO([AB])$/.exec(keys);
    if (arrow) {
      this.selected += (arrow[1] ?? arrow[2]) === 'A' ? -1 : 1;
      this.draw();
      return;
    }
    if (keys.startsWith('\x1b[') || keys.startsWith('\x1bO')) return; // other keys: ignore
    for (const ch of keys) {
      if (ch === '\x03' || ch === '\x04' || (ch === 'q' && this.search === '')) {
        this.finish?.();
        return;
      }
      if (ch === '\x1b') this.search = '';
      else if (ch === '\x7f' || ch === '\b') this.search = this.search.slice(0, -1);
      else if (ch === '\r' || ch === '\n') await this.reveal();
      else if (ch === '\x15')
        this.search = ''; // Ctrl-U
      else if (ch >= ' ') this.search += ch;
      this.selected = this.search === '' ? this.selected : 0;
    }
    this.draw();
  }

  /** Enter on an HOTP entry makes its next code (saving the counter first, like `show`). */
  private async reveal(): Promise<void> {
    const entry = this.visible()[this.selected];
    if (!entry) return;
    if (entry.type !== 'hotp') {
      this.flash(`${this.entryLabel(entry)}: TOTP codes are shown as they change`);
      return;
    }
    try {
      this.revealed.set(entry.id, await this.vault.nextHotp(entry.id));
    } catch (err) {
      this.flash(printable((err as Error).message));
    }
  }

  private flash(message: string): void {
    this.message = message;
    this.draw();
  }

  private visible(): VaultEntry[] {
    const query = this.search.trim();
    return query === '' ? this.vault.entries() : this.vault.find(query);
  }

  private draw(): void {
    const { columns = 80, rows = 24 } = process.stdout;
    const now = Date.now() / 1000;
    const entries = this.visible();
    this.selected = Math.max(0, Math.min(this.selected, entries.length - 1));
    const lines: string[] = [];
    const warning = this.vault.clockWarning();
    lines.push(
      `Tessera: ${this.vault.entries().length} entries${warning ? `  ${YELLOW}warning: ${warning}${RESET}` : ''}`,
    );
    lines.push(`Search: ${this.search}${INVERSE} ${RESET}`);
    lines.push('');
    const room = Math.max(1, rows - lines.length - 2);
    const first = Math.max(0, Math.min(this.selected - room + 1, entries.length - room));
    const shown = entries.slice(first, first + room);
    const issuerWidth = Math.min(24, Math.max(6, ...shown.map((e) => e.issuer.length)));
    const accountWidth = Math.min(32, Math.max(7, ...shown.map((e) => e.account.length)));
    for (const [i, entry] of shown.entries()) {
      const row = this.row(entry, now, issuerWidth, accountWidth);
      lines.push(first + i === this.selected ? `${INVERSE}${row}${RESET}` : row);
    }
    if (entries.length === 0)
      lines.push(
        this.vault.entries().length === 0
          ? 'No entries yet: add one with `tessera add`.'
          : `Nothing matches "${this.search}".`,
      );
    while (lines.length < rows - 1) lines.push('');
    const footer =
      this.message || 'type to search · ↑↓ select · Enter: HOTP code · Esc clears · q or Ctrl-C quits';
    lines.push(`${DIM}${footer}${RESET}`);
    this.message = '';
    const clipped = lines.slice(0, rows).map((line) => clip(line, columns));
    process.stdout.write(HOME + clipped.join(`${CLEAR_LINE}\r\n`) + CLEAR_LINE + CLEAR_BELOW);
  }

  private row(entry: VaultEntry, now: number, issuerWidth: number, accountWidth: number): string {
    const names = `${fit(printable(entry.issuer || '-'), issuerWidth)}  ${fit(printable(entry.account || '-'), accountWidth)}`;
    if (entry.type === 'hotp') {
      const code = this.revealed.get(entry.id);
      return `${names}  ${code ? group(code) : `${DIM}Enter for a code${RESET}`}`;
    }
    const { code, secondsLeft } = this.currentCode(entry, now);
    const period = entry.period ?? 30;
    const left = secondsLeft ?? 0;
    const width = 10;
    const filled = Math.round((left / period) * width);
    const colour = left <= 5 ? RED : left <= 10 ? YELLOW : '';
    const bar = `${colour}${'█'.repeat(filled)}${DIM}${'░'.repeat(width - filled)}${RESET}`;
    return `${names}  ${group(code ?? '')}  ${bar} ${colour}${String(left).padStart(2)}s${RESET}`;
  }
}

/** "123456" → "123 456" for reading aloud; odd lengths keep the longer group first. */
function group(code: string): string {
  const half = Math.ceil(code.length / 2);
  return code.length >= 6 ? `${code.slice(0, half)} ${code.slice(half)}` : code;
}

function fit(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

/** Cuts a line to the terminal width, counting only visible characters (not escape sequences). */
function clip(line: string, columns: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; i++) {
    // eslint-disable-next-line no-control-regex -- SGR and cursor sequences start with ESC
    const escape = /^\x1b\[[0-9;?]*[A-Za-z]/.exec(line.slice(i));
    if (escape) {
      out += escape[0];
      i += escape[0].length - 1;
      continue;
    }
    if (visible >= columns) continue;
    out += line[i];
    visible += 1;
  }
  return out;
}
