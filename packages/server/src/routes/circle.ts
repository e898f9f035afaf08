/**
 * Devices, the circle log and VK wraps (docs/PROTOCOL.md §2, §4). The server cannot check link
 * signatures (it has no VK) and does not try; it enforces the compare-and-swap on the head and the
 * bookkeeping each op implies, so a confused or hostile client cannot corrupt the account.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import {
  ESCROW_RECIPIENT,
  JOIN_REQUEST_TTL_MS,
  LIMITS,
  PASSKEY_RECIPIENT_PREFIX,
  RECOVERY_RECIPIENT,
  canon,
  type CircleHead,
  type CircleLink,
  type Wrap,
} from '@tessera/protocol';
import { addNotice, lockAccount } from '../accounts.js';
import { sha256B64u } from '../bytes.js';
import type { ServerContext, Session } from '../context.js';
import type { AccountsTable, MainDatabase } from '../db/tables.js';
import { appendEvent } from '../events.js';
import { HttpError, badRequest, forbidden, invalidLink, notFound } from '../http-error.js';
import { recoveryKeys } from '../credential-limits.js';
import { consume } from '../rate-limit.js';
import { handle } from '../route.js';
import { verifySignature } from '../signatures.js';

const headOf = (account: Pick<AccountsTable, 'circle_seq' | 'circle_hash'>): CircleHead =>
  account.circle_seq === null || account.circle_hash === null
    ? null
    : { seq: account.circle_seq, hash: account.circle_hash };

type DeviceRow = {
  id: string;
  status: 'pending' | 'trusted' | 'removed';
  enc_pub: string;
  sign_pub: string;
  created_at: number;
};

/** Checks the link against the op rules; returns the device the link is about (if any). */
function checkLink(options: {
  link: CircleLink;
  account: AccountsTable;
  session: Session;
  devices: Map<string, DeviceRow>;
  now: number;
}): DeviceRow | null {
  const { link, account, session, devices, now } = options;
  const headEpoch = account.circle_epoch ?? 0;
  if (link.by !== session.deviceId)
    throw invalidLink('link.by must be the id of the device posting the link.');
  const subject = link.device ? devices.get(link.device.id) : undefined;
  if (link.device && !subject) throw invalidLink('link.device.id is not a device of this account.');
  const pending = session.deviceStatus !== 'trusted';
  switch (link.op) {
    case 'genesis':
      if (link.epoch !== 1) throw invalidLink('The genesis link starts epoch 1.');
      if (!link.device || link.device.id !== session.deviceId)
        throw invalidLink('The genesis link must add the device posting it.');
      if (!link.recoveryPub) throw invalidLink('The genesis link must set recoveryPub.');
      if (link.via !== 'genesis') throw invalidLink('The genesis link must have via "genesis".');
      break;
    case 'add-device':
      if (link.epoch !== headEpoch) throw invalidLink(`add-device keeps the epoch (${headEpoch}).`);
      if (!subject) throw invalidLink('add-device needs link.device.');
      if (subject.status !== 'pending')
        throw invalidLink(`Device ${subject.id} is ${subject.status}, not pending.`);
      if (pending) {
        if (subject.id !== session.deviceId) throw forbidden('A pending device may only add itself.');
        if (link.via !== 'recovery' && link.via !== 'pin' && link.via !== 'passkey')
          throw forbidden('A pending device may only add itself with via "recovery", "pin" or "passkey".');
      } else if (
        link.via !== 'approval' &&
        link.via !== 'recovery' &&
        link.via !== 'pin' &&
        link.via !== 'passkey'
      ) {
        throw invalidLink('add-device needs via "approval", "recovery", "pin" or "passkey".');
      }
      if (link.via === 'approval' && now - subject.created_at > JOIN_REQUEST_TTL_MS) {
        throw new HttpError(
          410,
          'join-request-expired',
          'This join request is older than 10 minutes; sign in again on the new device.',
        );
      }
      break;
    case 'remove-device':
      if (pending) throw forbidden('Only a trusted device may remove a device.');
      if (link.epoch !== headEpoch + 1) throw invalidLink(`remove-device starts epoch ${headEpoch + 1}.`);
      if (!subject) throw invalidLink('remove-device needs link.device.');
      if (subject.status === 'removed') throw invalidLink(`Device ${subject.id} is already removed.`);
      if (link.v === 2 && !link.recoveryPub)
        throw invalidLink('A version 2 remove-device must replace the recovery key (recoveryPub).');
      break;
    case 'add-passkey':
    case 'remove-passkey':
      if (pending) throw forbidden('Only a trusted device may add or remove a passkey.');
      if (link.v !== 2) throw invalidLink(`${link.op} exists from link version 2.`);
      if (link.epoch !== headEpoch) throw invalidLink(`${link.op} keeps the epoch (${headEpoch}).`);
      if (!link.passkey) throw invalidLink(`${link.op} needs link.passkey.`);
      break;
    case 'rotate':
      if (pending) throw forbidden('Only a trusted device may rotate the keys.');
      if (link.v !== 2) throw invalidLink('rotate exists from link version 2.');
      if (link.epoch !== headEpoch + 1) throw invalidLink(`rotate starts epoch ${headEpoch + 1}.`);
      if (link.device) throw invalidLink('rotate names no device.');
      break;
    case 'rename-device':
      if (pending) throw forbidden('Only a trusted device may rename a device.');
      if (link.v !== 2) throw invalidLink('rename-device exists from link version 2.');
      if (link.epoch !== headEpoch) throw invalidLink(`rename-device keeps the epoch (${headEpoch}).`);
      if (!subject) throw invalidLink('rename-device needs link.device.');
      if (subject.status !== 'trusted')
        throw invalidLink(`Device ${subject.id} is ${subject.status}, not trusted.`);
      break;
    case 'sharing-key':
      if (pending) throw forbidden('Only a trusted device may publish the sharing key.');
      if (link.v !== 2) throw invalidLink('sharing-key exists from link version 2.');
      if (link.epoch !== headEpoch) throw invalidLink(`sharing-key keeps the epoch (${headEpoch}).`);
      if (!link.sharing) throw invalidLink('sharing-key needs link.sharing.');
      if (link.device) throw invalidLink('sharing-key names no device.');
      break;
    case 'set-escrow':
      if (pending) throw forbidden('Only a trusted device may set the escrow.');
      if (link.epoch !== headEpoch) throw invalidLink(`set-escrow keeps the epoch (${headEpoch}).`);
      if (link.escrowPub === undefined)
        throw invalidLink('set-escrow needs escrowPub (null removes the escrow).');
      break;
  }
  if (
    subject &&
    link.device &&
    (subject.enc_pub !== link.device.encPub || subject.sign_pub !== link.device.signPub)
  ) {
    throw invalidLink('link.device keys differ from the keys the device registered.');
  }
  return subject ?? null;
}

function checkWraps(options: {
  wraps: Wrap[];
  link: CircleLink;
  session: Session;
  devices: Map<string, DeviceRow>;
}): void {
  const { wraps, link, session, devices } = options;
  const removed = link.op === 'remove-device' ? link.device?.id : undefined;
  const seen = new Set<string>();
  for (const wrap of wraps) {
    const key = `${wrap.recipientId}|${wrap.epoch}`;
    if (seen.has(key)) throw invalidLink(`Two wraps for ${wrap.recipientId} in epoch ${wrap.epoch}.`);
    seen.add(key);
    if (wrap.epoch > link.epoch)
      throw invalidLink(`A wrap for epoch ${wrap.epoch} is ahead of the link's epoch ${link.epoch}.`);
    const passkey = wrap.recipientId.startsWith(PASSKEY_RECIPIENT_PREFIX);
    if (
      passkey &&
      link.op === 'add-passkey' &&
      wrap.recipientId !== PASSKEY_RECIPIENT_PREFIX + link.passkey!.id
    )
      throw invalidLink('An add-passkey link may only carry a wrap to the passkey it adds.');
    if (wrap.recipientId === RECOVERY_RECIPIENT || wrap.recipientId === ESCROW_RECIPIENT || passkey) {
      if (session.deviceStatus !== 'trusted' && link.op !== 'genesis')
        throw forbidden('A pending device may only wrap to itself.');
      continue;
    }
    const device = devices.get(wrap.recipientId);
    if (!device || device.status === 'removed' || device.id === removed) {
      throw invalidLink(`Wrap recipient ${wrap.recipientId} is not a current device of this account.`);
    }
    if (session.deviceStatus !== 'trusted' && device.id !== session.deviceId)
      throw forbidden('A pending device may only wrap to itself.');
  }
}

async function applyLink(options: {
  trx: Transaction<MainDatabase>;
  ctx: ServerContext;
  link: CircleLink;
  subject: DeviceRow | null;
  now: number;
  accountId: string;
}): Promise<void> {
  const { trx, ctx, link, subject, now, accountId } = options;
  if (link.op === 'genesis' || link.op === 'add-device') {
    await trx.updateTable('devices').set({ status: 'trusted' }).where('id', '=', subject!.id).execute();
    if (link.op === 'add-device') {
      await addNotice(
        trx,
        accountId,
        'device-joined',
        { deviceId: subject!.id, name: link.device!.name, via: link.via },
        now,
      );
      if (link.via === 'recovery' || link.via === 'passkey')
        await addNotice(
          trx,
          accountId,
          link.via === 'recovery' ? 'recovery-key-used' : 'passkey-used',
          { deviceId: subject!.id, name: link.device!.name },
          now,
        );
    }
    await appendEvent(trx, accountId, 'devices', {});
  } else if (link.op === 'rename-device') {
    await trx.updateTable('devices').set({ name: link.device!.name }).where('id', '=', subject!.id).execute();
    await appendEvent(trx, accountId, 'devices', {});
  } else if (link.op === 'remove-device') {
    await trx.updateTable('devices').set({ status: 'removed' }).where('id', '=', subject!.id).execute();
    await trx.deleteFrom('sessions').where('device_id', '=', subject!.id).execute();
    await trx
      .deleteFrom('wraps')
      .where('account_id', '=', accountId)
      .where('recipient_id', '=', subject!.id)
      .execute();
    await addNotice(
      trx,
      accountId,
      'device-removed',
      { deviceId: subject!.id, name: link.device!.name, by: link.by },
      now,
    );
    await appendEvent(trx, accountId, 'devices', {});
  } else if (link.op === 'add-passkey' || link.op === 'remove-passkey') {
    if (link.op === 'remove-passkey')
      await trx
        .deleteFrom('wraps')
        .where('account_id', '=', accountId)
        .where('recipient_id', '=', PASSKEY_RECIPIENT_PREFIX + link.passkey!.id)
        .execute();
    await addNotice(
      trx,
      accountId,
      link.op === 'add-passkey' ? 'passkey-added' : 'passkey-removed',
      { name: link.passkey!.name, by: link.by },
      now,
    );
  }
  await retireAnchors({ trx, link, accountId, now });
  ctx.metrics.circleLinks.inc({ op: link.op });
}

/** Links after which the escrow record must be destroyed: it is turned off (§2, §7). */
export function turnsEscrowOff(link: CircleLink): boolean {
  return (link.op === 'set-escrow' || (link.v === 2 && ROTATING_OPS.has(link.op))) && !link.escrowPub;
}

const ROTATING_OPS = new Set<CircleLink['op']>(['remove-device', 'rotate']);

/**
 * §7: only the current recovery key and escrow keep wraps. A link that replaces the recovery key
 * retires the older recovery wraps; one that sets, replaces or turns off the escrow (or starts a
 * new epoch) retires the older escrow wraps. A retired key then opens nothing this server serves.
 */
async function retireAnchors(options: {
  trx: Transaction<MainDatabase>;
  link: CircleLink;
  accountId: string;
  now: number;
}): Promise<void> {
  const { trx, link, accountId, now } = options;
  const rotates = link.v === 2 && ROTATING_OPS.has(link.op);
  const retire = async (recipient: string, below: number | 'all') => {
    let query = trx
      .deleteFrom('wraps')
      .where('account_id', '=', accountId)
      .where('recipient_id', '=', recipient);
    if (below !== 'all') query = query.where('epoch', '<', below);
    await query.execute();
  };
  if (rotates && link.recoveryPub) {
    await retire(RECOVERY_RECIPIENT, link.epoch);
    await addNotice(trx, accountId, 'recovery-key-replaced', { by: link.by }, now);
  }
  if (rotates) {
    // §8: passkeys keep only the current epoch's wrap; a removal drops every passkey.
    const passkeys = trx
      .deleteFrom('wraps')
      .where('account_id', '=', accountId)
      .where('recipient_id', 'like', `${PASSKEY_RECIPIENT_PREFIX}%`);
    await (link.op === 'remove-device' ? passkeys : passkeys.where('epoch', '<', link.epoch)).execute();
  }
  if (turnsEscrowOff(link)) await retire(ESCROW_RECIPIENT, 'all');
  else if (rotates || link.op === 'set-escrow') await retire(ESCROW_RECIPIENT, link.epoch);
  if (link.op === 'set-escrow' && link.escrowPub) await addNotice(trx, accountId, 'pin-changed', {}, now);
}

/**
 * The link must be signed by the circle key of the head link (the genesis by its own key), and only
 * remove-device may bring a new circle key (§2). Public keys suffice to check this, so someone
 * without VK, such as a holder of the password alone, cannot append links.
 */
async function checkSignature(
  trx: Transaction<MainDatabase>,
  accountId: string,
  head: CircleHead,
  link: CircleLink,
): Promise<void> {
  let signer = link.circlePub;
  if (head !== null) {
    const row = await trx
      .selectFrom('circle_links')
      .select('body')
      .where('account_id', '=', accountId)
      .where('seq', '=', head.seq)
      .executeTakeFirstOrThrow();
    signer = (JSON.parse(row.body) as CircleLink).circlePub;
    const rotates = link.circlePub !== signer;
    if (rotates !== ROTATING_OPS.has(link.op)) {
      throw invalidLink(
        ROTATING_OPS.has(link.op)
          ? `${link.op} must bring a new circlePub.`
          : `${link.op} must keep the circlePub of the head.`,
      );
    }
  }
  const { sig, ...body } = link;
  if (!verifySignature({ publicKey: signer, message: canon(body), signature: sig })) {
    throw invalidLink('The link signature does not verify under the circle key of the head.');
  }
}

export function circleRoutes(app: FastifyInstance, ctx: ServerContext): void {
  handle(app, ctx, 'devices', async ({ session }) => {
    const rows = await ctx.db
      .selectFrom('devices')
      .selectAll()
      .where('account_id', '=', session.accountId)
      .orderBy('created_at')
      .execute();
    return {
      devices: rows.map((d) => ({
        id: d.id,
        name: d.name,
        status: d.status,
        encPub: d.enc_pub,
        signPub: d.sign_pub,
        nonce: d.nonce,
        createdAt: d.created_at,
        lastSeenAt: d.last_seen_at,
      })),
    };
  });

  // §10: a join request nobody approved can be evicted by a trusted device. The device becomes
  // `removed` but its session rows stay: they no longer authenticate, and let its next request be
  // told "this request to join was removed" rather than a bare 401 (sessions.ts).
  handle(app, ctx, 'evictDevice', async ({ session, body }) => {
    await ctx.db.transaction().execute(async (trx) => {
      const device = await trx
        .selectFrom('devices')
        .select(['id', 'status'])
        .where('account_id', '=', session.accountId)
        .where('id', '=', body.deviceId)
        .executeTakeFirst();
      if (!device) throw notFound(`Device ${body.deviceId} is not a device of this account.`);
      if (device.status !== 'pending')
        throw badRequest(
          `Device ${body.deviceId} is ${device.status}, not pending: only a pending device can be evicted.`,
        );
      await trx.updateTable('devices').set({ status: 'removed' }).where('id', '=', device.id).execute();
      await appendEvent(trx, session.accountId, 'devices', {});
    });
    await ctx.bus.revokeSessions(session.accountId);
    await ctx.bus.publish([session.accountId]);
  });

  handle(app, ctx, 'circle', async ({ session, query }) =>
    readCircle(ctx.db, session.accountId, query.since ?? -1),
  );

  handle(app, ctx, 'circlePost', async ({ session, body }) => {
    const { link, wraps } = body;
    const text = canon(link);
    if (new TextEncoder().encode(text).length > LIMITS.maxCircleLinkBytes) {
      throw new HttpError(
        413,
        'too-large',
        `A circle link may be at most ${LIMITS.maxCircleLinkBytes} bytes.`,
      );
    }
    const now = Date.now();
    const accountId = session.accountId;
    const head = await ctx.db.transaction().execute(async (trx) => {
      const account = await lockAccount(trx, accountId);
      const current = headOf(account);
      const extends_ =
        current === null
          ? link.prev === null && link.seq === 0
          : link.prev === current.hash && link.seq === current.seq + 1;
      if (!extends_) {
        throw new HttpError(
          409,
          'circle-conflict',
          'The circle moved on: fetch it, verify it and build on the new head.',
          { head: current },
        );
      }
      if (current === null && link.op !== 'genesis')
        throw invalidLink('The first link of a circle must be the genesis.');
      if (current !== null && link.op === 'genesis') throw invalidLink('The circle already has a genesis.');
      await checkSignature(trx, accountId, current, link);
      const devices = new Map(
        (
          await trx
            .selectFrom('devices')
            .select(['id', 'status', 'enc_pub', 'sign_pub', 'created_at'])
            .where('account_id', '=', accountId)
            .execute()
        ).map((d) => [d.id, d] as const),
      );
      const subject = checkLink({ link, account, session, devices, now });
      checkWraps({ wraps, link, session, devices });
      const hash = sha256B64u(text);
      await trx
        .insertInto('circle_links')
        .values({ account_id: accountId, seq: link.seq, hash, body: text, created_at: now })
        .execute();
      await trx
        .updateTable('accounts')
        .set({ circle_seq: link.seq, circle_hash: hash, circle_epoch: link.epoch })
        .where('id', '=', accountId)
        .execute();
      for (const wrap of wraps) {
        const row = { wrapped: wrap.wrapped, created_at: now };
        await trx
          .insertInto('wraps')
          .values({ account_id: accountId, recipient_id: wrap.recipientId, epoch: wrap.epoch, ...row })
          .onConflict((oc) => oc.columns(['account_id', 'recipient_id', 'epoch']).doUpdateSet(row))
          .execute();
      }
      await applyLink({ trx, ctx, link, subject, now, accountId });
      const newHead = { seq: link.seq, hash };
      await appendEvent(trx, accountId, 'circle', { head: newHead });
      return newHead;
    });
    // A link may have trusted or removed a device: cached sessions of the account must not keep
    // the old status (a removed device's session must fail at once).
    await ctx.bus.revokeSessions(accountId);
    if (link.op === 'add-device')
      ctx.metrics.restores.inc({ path: link.via ?? 'unknown', outcome: 'success' });
    // A PIN now held by realms (or none) leaves nothing for the legacy escrow to release (§11).
    if (turnsEscrowOff(link) || link.escrowRealms) await ctx.escrow.deleteAccount(accountId);
    await ctx.bus.publish([accountId]);
    return { head };
  });

  handle(app, ctx, 'keys', async ({ session, query, request }) => {
    const recipient = query.recipient;
    if (
      recipient === RECOVERY_RECIPIENT ||
      recipient === ESCROW_RECIPIENT ||
      recipient.startsWith(PASSKEY_RECIPIENT_PREFIX)
    ) {
      await consume(ctx.db, await recoveryKeys({ ctx, accountId: session.accountId, ip: request.ip }));
    } else if (recipient !== session.deviceId) {
      throw forbidden(
        'A device may fetch only its own wraps, or those of "recovery", "escrow" and passkeys.',
      );
    }
    return readWraps(ctx.db, session.accountId, recipient);
  });
}

/** What `GET /v1/circle` answers (also folded into `sessions/finish`): the links after `since`, the head. */
export async function readCircle(
  db: Kysely<MainDatabase>,
  accountId: string,
  since: number,
): Promise<{ links: CircleLink[]; head: CircleHead }> {
  const [links, account] = await Promise.all([
    db
      .selectFrom('circle_links')
      .select('body')
      .where('account_id', '=', accountId)
      .where('seq', '>', since)
      .orderBy('seq')
      .execute(),
    db
      .selectFrom('accounts')
      .select(['circle_seq', 'circle_hash'])
      .where('id', '=', accountId)
      .executeTakeFirstOrThrow(),
  ]);
  return { links: links.map((l) => JSON.parse(l.body) as CircleLink), head: headOf(account) };
}

/** What `GET /v1/keys` answers once its rate limit passed (also folded into `sessions/finish`). */
export async function readWraps(
  db: Kysely<MainDatabase>,
  accountId: string,
  recipient: string,
): Promise<{ wraps: Wrap[] }> {
  const rows = await db
    .selectFrom('wraps')
    .select(['recipient_id', 'epoch', 'wrapped'])
    .where('account_id', '=', accountId)
    .where('recipient_id', '=', recipient)
    .orderBy('epoch')
    .execute();
  return { wraps: rows.map((w) => ({ recipientId: w.recipient_id, epoch: w.epoch, wrapped: w.wrapped })) };
}
