import type { Command } from 'commander';
import { CliError } from '../errors.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > 1 << 20) throw new CliError('uri parse: standard input is over 1 MiB; expected one URI');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `tessera uri parse URI`: the entry a URI describes, as JSON (secret as canonical Base32). */
export function register(program: Command): void {
  const uri = program.command('uri').description('read otpauth:// URIs');
  uri
    .command('parse')
    .description('print the entry an otpauth:// or steam:// URI describes, as JSON')
    .argument('<uri>', 'the URI, or - to read it from standard input (keeps the secret out of ps)')
    .action(async (text: string) => {
      const { parseUri } = await import('@tessera/otp');
      const entry = parseUri(text === '-' ? await readStdin() : text);
      process.stdout.write(`${JSON.stringify(entry, null, 2)}\n`);
    });
}
