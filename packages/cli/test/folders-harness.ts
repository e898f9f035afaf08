/**
 * What the shared-folder scenarios (folders-scenario.ts, folders-more-scenario.ts) share: an invite
 * checked by both sides before it is accepted.
 */
import { expect } from 'vitest';
import type { Device } from './keychain-harness.js';

/** The owner's side of an invite: its device and email, the folder's name and id (known once created). */
export interface FolderOwner {
  device: Device;
  email: string;
  folder: string;
  folderId: () => string;
}

/**
 * The owner invites `member`: both sides print the safety number and must agree (an honest server);
 * the member sees the invite (the folder's name, the role, who invites) in `folder list`, as JSON and
 * as text, before accepting with the owner's number; then both sync.
 */
export async function inviteMember(
  owner: FolderOwner,
  member: Device,
  memberEmail: string,
  role: 'editor' | 'viewer',
): Promise<void> {
  const { folder, email: ownerEmail } = owner;
  const folderId = owner.folderId();
  const seenByOwner = (await owner.device.ok(['folder', 'safety-number', memberEmail])).trim();
  const seenByMember = (await member.ok(['folder', 'safety-number', ownerEmail])).trim();
  expect(seenByOwner).toMatch(/^(\d{5} ){11}\d{5}$/);
  expect(seenByMember).toBe(seenByOwner);
  await owner.device.ok([
    'folder',
    'invite',
    folder,
    memberEmail,
    '--role',
    role,
    '--safety-number',
    seenByMember,
  ]);
  const listed = JSON.parse(await member.ok(['folder', 'list', '--json'])) as { invites: unknown[] };
  expect(listed.invites).toEqual([{ folder: folderId, name: folder, role, invitedBy: ownerEmail }]);
  expect(await member.ok(['folder', 'list'])).toContain(
    `invite: "${folder}" ${folderId} as ${role} from ${ownerEmail}`,
  );
  await member.ok(['folder', 'accept', folderId, '--safety-number', seenByOwner]);
  await owner.device.ok(['sync']);
  await member.ok(['sync']);
}
