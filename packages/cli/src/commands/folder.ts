import type { Command } from 'commander';
import type { Keychain } from '@tessera/vault/keychain';
import { CliError } from '../errors.js';
import { openCliVault } from '../home.js';
import { printable } from '../terminal-text.js';
import { keychainFor } from './sync.js';

/**
 * `tessera folder ...`: shared folders (docs/PROTOCOL.md §12). Invites and accepts show the safety
 * number of the two accounts' sharing keys and go ahead only once it is confirmed: typed `y` on a
 * terminal after comparing, or for scripts `--safety-number N` (the number the other person's screen
 * shows; it must match) or `--yes`.
 */
export function register(program: Command): void {
  const folder = program
    .command('folder')
    .description('shared folders: codes shared end to end with other accounts, with roles and revocation');
  folder
    .command('create')
    .description('create a shared folder (you are its owner)')
    .argument('<name>', 'folder name (1 to 64 characters; the server never sees it)')
    .option('--json', 'print the folder as JSON')
    .action(async (name: string, options: { json?: boolean }, command: Command) => {
      const keychain = await trusted(command);
      const { createFolder } = await import('@tessera/vault/folders');
      const view = await createFolder({ keychain, name });
      print(options.json, view, `created folder ${printable(view.name)} (${view.id})`);
    });
  folder
    .command('list')
    .description('list your shared folders and pending invites')
    .option('--json', 'print {folders, invites} as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const keychain = await trusted(command);
      const { listFolders } = await import('@tessera/vault/folders');
      const result = await listFolders({ keychain });
      if (options.json) return void process.stdout.write(JSON.stringify(result) + '\n');
      for (const f of result.folders)
        process.stdout.write(
          `${printable(f.name || '(name not yet known)')}  ${f.role}  ${f.entries} entries  ${f.id}\n`,
        );
      for (const i of result.invites)
        process.stdout.write(
          `invite: ${i.name ? `"${printable(i.name)}"` : 'folder'} ${i.folder} as ${i.role} from ${printable(i.invitedBy || 'an owner')} (tessera folder accept ${idArg(i.folder)})\n`,
        );
      if (result.folders.length + result.invites.length === 0)
        process.stderr.write('no shared folders yet: create one with `tessera folder create NAME`\n');
    });
  folder
    .command('safety-number')
    .description("print the safety number of your account and another's, to compare before an invite")
    .argument('<email>', "the other account's email")
    .action(async (email: string, _options: unknown, command: Command) => {
      const keychain = await trusted(command);
      const { ensureSharingKey, safetyNumber } = await import('@tessera/vault/folders');
      const key = await ensureSharingKey({ keychain });
      const other = await keychain.client().call('sharingKey', { query: { email } });
      process.stdout.write(`${safetyNumber({ a: key.public, b: other })}\n`);
    });
  withConfirm(
    folder
      .command('invite')
      .description('invite an account into a folder (owners); shows the safety number to compare first')
      .argument('<folder>', 'folder name or id')
      .argument('<email>', "the invitee's email")
      .option('--role <role>', 'editor (add and edit entries) or viewer (see codes)', 'viewer'),
  ).action(
    async (query: string, email: string, options: ConfirmOptions & { role: string }, command: Command) => {
      if (options.role !== 'editor' && options.role !== 'viewer')
        throw new CliError(
          '--role is editor or viewer (make someone owner later with `tessera folder role`)',
        );
      const keychain = await trusted(command);
      const { inviteMember } = await import('@tessera/vault/folders');
      const id = await resolve(keychain, query);
      const result = await inviteMember({
        keychain,
        folder: id,
        email,
        role: options.role,
        confirm: confirmer(options, `Does ${email}'s screen show this safety number?`),
      });
      process.stdout.write(
        `invited ${printable(email)} as ${options.role}; they accept with \`tessera folder accept ${id}\` after comparing the same number\n`,
      );
      void result;
    },
  );
  withConfirm(
    folder
      .command('accept')
      .description('accept an invite after comparing the safety number with the owner who invited you')
      .argument('<folder>', 'folder id (see `tessera folder list`)'),
  ).action(async (id: string, options: ConfirmOptions, command: Command) => {
    const keychain = await trusted(command);
    const { acceptInvite, pendingInvite, syncFolders } = await import('@tessera/vault/folders');
    const invite = await pendingInvite({ keychain, folder: id });
    await acceptInvite({
      keychain,
      folder: id,
      confirm: confirmer(
        options,
        `Does ${invite.invitedBy.email || 'the owner'}'s screen show this safety number?`,
      ),
    });
    const { folders } = await syncFolders({ keychain, folder: id }).catch(() => ({ folders: [] }));
    const name = folders.find((f) => f.id === id)?.name;
    process.stdout.write(
      `accepted: you are ${invite.role} of ${name ? printable(name) : `folder ${id}`}` +
        `${name ? '' : "; its entries arrive once an owner's device syncs"}\n`,
    );
  });
  folder
    .command('members')
    .description('list the members of a folder, with the safety number of each')
    .argument('<folder>', 'folder name or id')
    .option('--json', 'print a JSON array')
    .action(async (query: string, options: { json?: boolean }, command: Command) => {
      const keychain = await trusted(command);
      const { folderMembers } = await import('@tessera/vault/folders');
      const members = await folderMembers({ keychain, folder: await resolve(keychain, query) });
      if (options.json) return void process.stdout.write(JSON.stringify(members) + '\n');
      for (const m of members.filter((m) => m.status !== 'removed'))
        process.stdout.write(
          `${printable(m.email || m.account)}  ${m.role}${m.status === 'invited' ? ' (invited)' : ''}` +
            `${m.safetyNumber ? `  ${m.safetyNumber}` : '  (you)'}` +
            // §12.5: a key change signed by the old key keeps the membership; the number is new.
            `${m.safetyNumber && m.keyChangedAt !== null ? '  (their devices changed; compare again if you want)' : ''}\n`,
        );
    });
  folder
    .command('remove-member')
    .description('remove a member (owners): the folder key is replaced and every entry re-encrypted')
    .argument('<folder>', 'folder name or id')
    .argument('<email>', "the member's email")
    .action(async (query: string, email: string, _options: unknown, command: Command) => {
      const keychain = await trusted(command);
      const { removeMember } = await import('@tessera/vault/folders');
      const { epoch } = await removeMember({ keychain, folder: await resolve(keychain, query), email });
      process.stdout.write(
        `removed ${printable(email)}; the folder key was replaced (epoch ${epoch}) and every entry re-encrypted. ` +
          'What they saw before, they may have kept: change those secrets at the services if that matters.\n',
      );
    });
  folder
    .command('role')
    .description("change a member's role (owners)")
    .argument('<folder>', 'folder name or id')
    .argument('<email>', "the member's email")
    .argument('<role>', 'owner, editor or viewer')
    .action(async (query: string, email: string, role: string, _options: unknown, command: Command) => {
      if (!['owner', 'editor', 'viewer'].includes(role))
        throw new CliError('the role is owner, editor or viewer');
      const keychain = await trusted(command);
      const { changeRole } = await import('@tessera/vault/folders');
      await changeRole({ keychain, folder: await resolve(keychain, query), email, role: role as 'viewer' });
      process.stdout.write(`${printable(email)} is now ${role}\n`);
    });
  folder
    .command('rm')
    .description('delete a folder for every member (owners)')
    .argument('<folder>', 'folder name or id')
    .action(async (query: string, _options: unknown, command: Command) => {
      const keychain = await trusted(command);
      const { deleteFolder } = await import('@tessera/vault/folders');
      await deleteFolder({ keychain, folder: await resolve(keychain, query) });
      process.stdout.write(`deleted folder ${printable(query)}\n`);
    });
  folder
    .command('activity')
    .description("show members' self-reported activity (codes revealed or copied; owners)")
    .argument('<folder>', 'folder name or id')
    .option('--json', 'print a JSON array')
    .action(async (query: string, options: { json?: boolean }, command: Command) => {
      const keychain = await trusted(command);
      const { folderActivity } = await import('@tessera/vault/folders');
      const events = await folderActivity({ keychain, folder: await resolve(keychain, query) });
      if (options.json) return void process.stdout.write(JSON.stringify(events) + '\n');
      for (const e of events)
        process.stdout.write(
          `${new Date(e.at).toISOString()}  ${printable(e.email || e.account)}  ${e.kind}  ${printable(e.label)}\n`,
        );
      process.stderr.write("(self-reported by members' devices: a modified client can leave events out)\n");
    });
}

interface ConfirmOptions {
  yes?: boolean;
  safetyNumber?: string;
}

function withConfirm(command: Command): Command {
  return command
    .option('--safety-number <digits>', "the number the other person's screen shows (scripts); must match")
    .option('--yes', 'confirm without comparing (only when you compared another way)');
}

/** Digits only, so "12345 67890 ..." and "1234567890..." compare equal. */
const digits = (text: string) => text.replace(/\D/g, '');

function confirmer(options: ConfirmOptions, question: string): (number: string) => Promise<boolean> {
  return async (number) => {
    process.stderr.write(`safety number: ${number}\n`);
    if (options.safetyNumber !== undefined) {
      if (digits(options.safetyNumber) !== digits(number))
        throw new CliError(
          'the safety numbers differ: the server may have put itself in the middle, or this is another account; nothing was done',
        );
      return true;
    }
    if (options.yes) return true;
    if (!process.stdin.isTTY)
      throw new CliError(
        'not on a terminal: compare the safety number and pass --safety-number N (or --yes)',
      );
    const { confirm, isCancel } = await import('@clack/prompts');
    const answer = await confirm({ message: question, output: process.stderr });
    return !isCancel(answer) && answer === true;
  };
}

async function trusted(command: Command): Promise<Keychain> {
  const vault = await openCliVault(command);
  const keychain = await keychainFor(vault);
  keychain.requireTrusted();
  return keychain;
}

/** The folder id a name or id names, after a sync so names are known. */
export async function resolve(keychain: Keychain, query: string): Promise<string> {
  const { findLocalFolder, loadFolders, syncFolders } = await import('@tessera/vault/folders');
  let found = findLocalFolder(loadFolders(keychain), query);
  if (!found) {
    await syncFolders({ keychain });
    found = findLocalFolder(loadFolders(keychain), query);
  }
  if (!found) throw new CliError(`no shared folder "${query}" (see \`tessera folder list\`)`);
  return found.id;
}

function print(json: boolean | undefined, value: unknown, text: string): void {
  process.stdout.write(json ? JSON.stringify(value) + '\n' : text + '\n');
}

/**
 * A folder id as a command argument. Ids of folders created before ids began with a letter may start
 * with '-', which the parser would read as an option: those go after `--`.
 */
function idArg(id: string): string {
  return id.startsWith('-') ? `-- ${id}` : id;
}
