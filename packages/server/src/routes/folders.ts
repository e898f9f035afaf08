/**
 * Shared folders (docs/PROTOCOL.md §12). The server cannot verify the member log (it does not hold
 * the circles' sharing keys in a form it could trust), so members do; it only keeps the log in order
 * (append with an expected head), lets the accounts the log names read the folder, and stores wraps
 * and sealed entries it cannot open.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import { lockAccount } from '../accounts.js';
import type { ServerContext } from '../context.js';
import { appendEvent } from '../events.js';
import type { MainDatabase } from '../db/tables.js';
import { badRequest, HttpError, notFound } from '../http-error.js';
import { handle } from '../route.js';

/** The fields of a link the server acts on; everything else is the members' to verify. */
interface LinkFacts {
  seq: number;
  op: string;
  by: string;
  account: string;
  role: string;
}

function linkFacts(text: string): LinkFacts {
  let link: { seq?: unknown; op?: unknown; by?: unknown; member?: { account?: unknown; role?: unknown } };
  try {
    link = JSON.parse(text) as typeof link;
  } catch {
    throw badRequest('The folder link is not JSON.');
  }
  const facts = {
    seq: link.seq,
    op: link.op,
    by: link.by,
    account: link.member?.account,
    role: link.member?.role,
  };
  if (
    typeof facts.seq !== 'number' ||
    typeof facts.op !== 'string' ||
    typeof facts.by !== 'string' ||
    typeof facts.account !== 'string' ||
    typeof facts.role !== 'string'
  )
    throw badRequest('The folder link lacks seq, op, by, member.account or member.role.');
  return facts as LinkFacts;
}

type Db = Kysely<MainDatabase> | Transaction<MainDatabase>;

/** Roles of accounts that accepted; an invited account may only read the log (to accept it). */
const ACTIVE = ['owner', 'editor', 'viewer'];
const WRITERS = ['owner', 'editor'];

/**
 * 404 unless `accountId` is named by the folder's log (a non-member learns nothing, not even that the
 * folder exists); 403 when its role is not in `roles`. Access control only: members still verify.
 */
async function requireMember(options: {
  db: Db;
  folder: string;
  accountId: string;
  roles?: string[];
}): Promise<string> {
  const row = await options.db
    .selectFrom('folder_members')
    .select('role')
    .where('folder_id', '=', options.folder)
    .where('account_id', '=', options.accountId)
    .executeTakeFirst();
  if (!row) throw notFound('No such folder, or this account is not a member of it.');
  if (options.roles && !options.roles.includes(row.role))
    throw new HttpError(403, 'forbidden', `A folder ${row.role.split(':')[0]} cannot do this.`);
  return row.role;
}

/** Keeps `folder_members` in step with the log: who may read, and in which role. */
async function applyMembership(trx: Db, folder: string, facts: LinkFacts): Promise<void> {
  const row = trx
    .deleteFrom('folder_members')
    .where('folder_id', '=', folder)
    .where('account_id', '=', facts.account);
  if (facts.op === 'remove') return void (await row.execute());
  // A key change or a new folder key leaves who may read, and in which role, as it was.
  if (facts.op === 'member-key' || facts.op === 'rekey') return;
  if (facts.op === 'create' || facts.op === 'invite') {
    // An invite keeps its role aside until the invited account accepts it.
    const role = facts.op === 'create' ? 'owner' : `invited:${facts.role}`;
    await trx
      .insertInto('folder_members')
      .values({ folder_id: folder, account_id: facts.account, role })
      .onConflict((oc) => oc.columns(['folder_id', 'account_id']).doUpdateSet({ role }))
      .execute();
    return;
  }
  const current = await requireMember({ db: trx, folder, accountId: facts.account });
  if (facts.op === 'accept' && !current.startsWith('invited:'))
    throw badRequest('This account has no pending invite to accept.');
  // Members would refuse an accept that claims another role than its invite, and with it every later
  // link: refused here, one greedy invitee cannot break the folder's log for everyone.
  if (facts.op === 'accept' && facts.role !== current.slice('invited:'.length))
    throw badRequest(
      `An accept takes the role its invite gives (${current.slice('invited:'.length)}), not ${String(facts.role)}.`,
    );
  await trx
    .updateTable('folder_members')
    .set({ role: facts.op === 'accept' ? current.slice('invited:'.length) : facts.role })
    .where('folder_id', '=', folder)
    .where('account_id', '=', facts.account)
    .execute();
}

/**
 * Appends a `folders` feed event to every account the folder names (and `also`, e.g. a member just
 * removed), so their devices sync it at once; returns the accounts to publish after commit. Accounts
 * are locked in sorted order, after the folder row, so two folder changes cannot deadlock.
 */
async function folderEvent(
  trx: Transaction<MainDatabase>,
  folder: string,
  also: string[] = [],
): Promise<string[]> {
  const rows = await trx
    .selectFrom('folder_members')
    .select('account_id')
    .where('folder_id', '=', folder)
    .execute();
  const accounts = [...new Set([...rows.map((r) => r.account_id), ...also])].sort();
  for (const account of accounts) {
    await lockAccount(trx, account);
    await appendEvent(trx, account, 'folders', { folder });
  }
  return accounts;
}

/** Emails of accounts, by id (display only: members verify keys, not emails). */
async function emailsOf(db: Db, accounts: string[]): Promise<Record<string, string>> {
  if (accounts.length === 0) return {};
  const rows = await db.selectFrom('accounts').select(['id', 'email']).where('id', 'in', accounts).execute();
  return Object.fromEntries(rows.map((r) => [r.id, r.email]));
}

export function folderRoutes(app: FastifyInstance, ctx: ServerContext): void {
  handle(app, ctx, 'folderLinkPost', async ({ session, body }) => {
    const facts = linkFacts(body.link);
    if (facts.by !== session.accountId)
      throw new HttpError(403, 'forbidden', 'A folder link must be signed in the name of this account.');
    if (facts.seq !== body.expectedHead + 1)
      throw badRequest(
        `The link's seq is ${facts.seq}; after head ${body.expectedHead} it must be ${body.expectedHead + 1}.`,
      );
    const notify = await ctx.db.transaction().execute(async (trx) => {
      const now = Date.now();
      if (body.expectedHead === -1) {
        if (facts.op !== 'create' || facts.account !== session.accountId)
          throw badRequest('A new folder starts with a create link naming this account.');
        const taken = await trx
          .selectFrom('folders')
          .select('id')
          .where('id', '=', body.folder)
          .executeTakeFirst();
        if (taken)
          throw new HttpError(409, 'conflict', 'A folder with this id exists; pick another random id.');
        await trx
          .insertInto('folders')
          .values({ id: body.folder, head_seq: 0, entry_head: 0, created_at: now })
          .execute();
      } else {
        if (facts.op === 'create') throw badRequest('Only the first link of a folder creates it.');
        // Only owners change the member list; an invited account only accepts for itself, and any
        // member (invited too) moves itself to its new sharing key (member-key, §12.2).
        const self = facts.op === 'accept' || facts.op === 'member-key';
        await requireMember({
          db: trx,
          folder: body.folder,
          accountId: session.accountId,
          roles: self ? undefined : ['owner'],
        });
        if (facts.op === 'accept' && facts.account !== session.accountId)
          throw new HttpError(403, 'forbidden', 'Only the invited account accepts its invite.');
        if (facts.op === 'member-key' && facts.account !== session.accountId)
          throw new HttpError(403, 'forbidden', 'Only the member itself changes its sharing key.');
        // The conditional update is the lock: of two appends on the same head, one updates no row.
        const moved = await trx
          .updateTable('folders')
          .set({ head_seq: facts.seq })
          .where('id', '=', body.folder)
          .where('head_seq', '=', body.expectedHead)
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) !== 1)
          throw new HttpError(
            409,
            'conflict',
            'The folder log moved on; fetch it, verify it and build on its head.',
          );
      }
      await trx
        .insertInto('folder_links')
        .values({ folder_id: body.folder, seq: facts.seq, body: body.link, created_at: now })
        .execute();
      await applyMembership(trx, body.folder, facts);
      return folderEvent(trx, body.folder, [facts.account]);
    });
    await ctx.bus.publish(notify);
  });

  handle(app, ctx, 'folderLinks', async ({ session, query }) => {
    await requireMember({ db: ctx.db, folder: query.folder, accountId: session.accountId });
    const rows = await ctx.db
      .selectFrom('folder_links')
      .select('body')
      .where('folder_id', '=', query.folder)
      .orderBy('seq')
      .execute();
    const links = rows.map((r) => r.body);
    const named = new Set(links.map((text) => linkFacts(text).account));
    return { links, emails: await emailsOf(ctx.db, [...named]) };
  });

  handle(app, ctx, 'folderWrapsPost', async ({ session, body }) => {
    const notify = await ctx.db.transaction().execute(async (trx) => {
      await requireMember({ db: trx, folder: body.folder, accountId: session.accountId, roles: ['owner'] });
      for (const wrap of body.wraps) {
        await requireMember({ db: trx, folder: body.folder, accountId: wrap.account, roles: ACTIVE });
        await trx
          .insertInto('folder_wraps')
          .values({
            folder_id: body.folder,
            account_id: wrap.account,
            epoch: wrap.epoch,
            wrapped: wrap.wrapped,
          })
          .onConflict((oc) =>
            oc.columns(['folder_id', 'account_id', 'epoch']).doUpdateSet({ wrapped: wrap.wrapped }),
          )
          .execute();
      }
      return folderEvent(trx, body.folder);
    });
    await ctx.bus.publish(notify);
  });

  handle(app, ctx, 'folderWraps', async ({ session, query }) => {
    await requireMember({ db: ctx.db, folder: query.folder, accountId: session.accountId, roles: ACTIVE });
    const rows = await ctx.db
      .selectFrom('folder_wraps')
      .select(['epoch', 'wrapped'])
      .where('folder_id', '=', query.folder)
      .where('account_id', '=', session.accountId)
      .orderBy('epoch')
      .execute();
    return {
      wraps: rows.map((r) => ({ account: session.accountId, epoch: Number(r.epoch), wrapped: r.wrapped })),
    };
  });

  handle(app, ctx, 'folderEntriesPost', async ({ session, body }) => {
    const { head, notify } = await ctx.db.transaction().execute(async (trx) => {
      await requireMember({ db: trx, folder: body.folder, accountId: session.accountId, roles: WRITERS });
      const folder = await trx
        .updateTable('folders')
        .set((eb) => ({ entry_head: eb('entry_head', '+', body.entries.length) }))
        .where('id', '=', body.folder)
        .returning('entry_head')
        .executeTakeFirstOrThrow();
      let version = Number(folder.entry_head) - body.entries.length;
      for (const entry of body.entries) {
        version += 1;
        await trx
          .insertInto('folder_entries')
          .values({ folder_id: body.folder, id: entry.id, epoch: entry.epoch, blob: entry.blob, version })
          .onConflict((oc) =>
            oc.columns(['folder_id', 'id']).doUpdateSet({ epoch: entry.epoch, blob: entry.blob, version }),
          )
          .execute();
      }
      return { head: Number(folder.entry_head), notify: await folderEvent(trx, body.folder) };
    });
    await ctx.bus.publish(notify);
    return { head };
  });

  handle(app, ctx, 'folderEntries', async ({ session, query }) => {
    await requireMember({ db: ctx.db, folder: query.folder, accountId: session.accountId, roles: ACTIVE });
    const since = query.since ?? 0;
    const [folder, rows] = await Promise.all([
      ctx.db
        .selectFrom('folders')
        .select('entry_head')
        .where('id', '=', query.folder)
        .executeTakeFirstOrThrow(),
      ctx.db
        .selectFrom('folder_entries')
        .select(['id', 'epoch', 'blob', 'version'])
        .where('folder_id', '=', query.folder)
        .where('version', '>', since)
        .orderBy('version')
        .execute(),
    ]);
    return {
      head: Number(folder.entry_head),
      entries: rows.map((r) => ({
        id: r.id,
        epoch: Number(r.epoch),
        blob: r.blob,
        version: Number(r.version),
      })),
    };
  });
}

/** Listing, deleting, looking up sharing keys, and the activity log (§12.7). */
export function folderDirectoryRoutes(app: FastifyInstance, ctx: ServerContext): void {
  handle(app, ctx, 'folders', async ({ session }) => {
    const rows = await ctx.db
      .selectFrom('folder_members')
      .select(['folder_id', 'role'])
      .where('account_id', '=', session.accountId)
      .orderBy('folder_id')
      .execute();
    const inviters: Record<string, string> = {};
    for (const row of rows) {
      if (!row.role.startsWith('invited:')) continue;
      const links = await ctx.db
        .selectFrom('folder_links')
        .select('body')
        .where('folder_id', '=', row.folder_id)
        .orderBy('seq', 'desc')
        .execute();
      const invite = links
        .map((l) => linkFacts(l.body))
        .find((f) => f.op === 'invite' && f.account === session.accountId);
      if (invite) inviters[row.folder_id] = invite.by;
    }
    const emails = await emailsOf(ctx.db, [...new Set(Object.values(inviters))]);
    return {
      folders: rows.map((r) => ({
        id: r.folder_id,
        role: r.role,
        invitedBy: inviters[r.folder_id] ? (emails[inviters[r.folder_id]!] ?? null) : null,
      })),
    };
  });

  handle(app, ctx, 'folderDelete', async ({ session, query }) => {
    const notify = await ctx.db.transaction().execute(async (trx) => {
      await requireMember({ db: trx, folder: query.folder, accountId: session.accountId, roles: ['owner'] });
      // Lock the folder row first, as every other folder change does.
      await trx
        .updateTable('folders')
        .set((eb) => ({ head_seq: eb.ref('head_seq') }))
        .where('id', '=', query.folder)
        .execute();
      const accounts = await folderEvent(trx, query.folder);
      // The child tables go with the folder (on delete cascade).
      await trx.deleteFrom('folders').where('id', '=', query.folder).execute();
      return accounts;
    });
    await ctx.bus.publish(notify);
  });

  handle(app, ctx, 'sharingKey', async ({ query }) => {
    const account = await ctx.db
      .selectFrom('accounts')
      .select('id')
      .where('email', '=', query.email.trim().toLowerCase())
      .executeTakeFirst();
    const none = () =>
      notFound(
        'No account with this email has a sharing key yet (it is made when that account first uses folders).',
      );
    if (!account) throw none();
    const links = await ctx.db
      .selectFrom('circle_links')
      .select('body')
      .where('account_id', '=', account.id)
      .orderBy('seq', 'desc')
      .execute();
    for (const { body } of links) {
      const sharing = (JSON.parse(body) as { sharing?: { encPub: string; signPub: string } | null }).sharing;
      if (sharing) return { account: account.id, encPub: sharing.encPub, signPub: sharing.signPub };
    }
    throw none();
  });

  handle(app, ctx, 'folderActivityPost', async ({ session, body }) => {
    await requireMember({ db: ctx.db, folder: body.folder, accountId: session.accountId, roles: ACTIVE });
    await ctx.db
      .insertInto('folder_activity')
      .values({
        folder_id: body.folder,
        account_id: session.accountId,
        epoch: body.epoch,
        blob: body.blob,
        created_at: Date.now(),
      })
      .execute();
  });

  handle(app, ctx, 'folderActivity', async ({ session, query }) => {
    await requireMember({ db: ctx.db, folder: query.folder, accountId: session.accountId, roles: ['owner'] });
    const rows = await ctx.db
      .selectFrom('folder_activity')
      .select(['id', 'account_id', 'epoch', 'blob', 'created_at'])
      .where('folder_id', '=', query.folder)
      .where('id', '>', query.since ?? 0)
      .orderBy('id')
      .limit(1000)
      .execute();
    return {
      events: rows.map((r) => ({
        id: Number(r.id),
        account: r.account_id,
        epoch: Number(r.epoch),
        blob: r.blob,
        at: Number(r.created_at),
      })),
    };
  });
}
