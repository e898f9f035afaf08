/** What `tessera keychain status` and `devices` show, computed from local state (and the server for devices). */
import type { Device } from '@tessera/protocol';
import { SERVER_CLOCK_META_KEY, serverClockFromMeta } from '../clock-skew.js';
import { trustedDevices, type CircleState } from './circle.js';
import type { Keychain } from './keychain.js';
import type { KeychainState } from './state.js';
import { describeNotice, noticeDone } from './notices.js';
import { pendingRecords } from './sync.js';

export interface KeychainStatus {
  signedIn: boolean;
  server: string | null;
  account: string | null;
  accountId: string | null;
  deviceId: string | null;
  deviceName: string | null;
  status: 'pending' | 'trusted' | 'removed' | null;
  trusted: boolean;
  keyEpoch: number | null;
  trustedDevices: number;
  lastSyncAt: string | null;
  lastBackupAt: string | null;
  lastVerifiedAt: string | null;
  lastVerifyOk: boolean | null;
  pendingChanges: number;
  lastError: string | null;
  serverClockOffsetMs: number | null;
  /** Notices that still need attention (newest 10); `done` is set only in `allNotices`. */
  notices: { id: number; kind: string; message: string; createdAt: string; done?: string }[];
  /** Notices kept here that no longer need attention (acted on, overtaken, expired, dismissed). */
  doneNotices: number;
  /** What protects the PIN, from the verified circle (null before this device saw a circle). */
  pin: PinProtection | null;
}

/** What protects the keychain PIN (issue 12 "honest status"). */
export interface PinProtection {
  /** none: no PIN; legacy: the single escrow inside the keychain server; realms: §11. */
  kind: 'none' | 'legacy' | 'realms';
  realms: number;
  threshold: number;
  /** Realms on the keychain server itself (its embedded realm): run by the same operator. */
  operatorRealms: number;
  /** Host names of the realms, as pinned. */
  hosts: string[];
  /** One line for a person: "2 of 3 realms: …", "1 realm, run by this server's operator". */
  summary: string;
}

/** What protects the PIN of `circle`, in words the CLI and the web app both show. */
export function pinProtection(circle: CircleState, server: string): PinProtection {
  const none = { realms: 0, threshold: 0, operatorRealms: 0, hosts: [] };
  if (!circle.escrowPub) return { kind: 'none', ...none, summary: 'no PIN set' };
  const setup = circle.escrowRealms;
  if (!setup)
    return {
      kind: 'legacy',
      ...none,
      summary:
        "the single escrow inside this server, run by its operator (set before realms; it moves to the server's realms the next time the PIN is used or set)",
    };
  const serverOrigin = new URL(server).origin;
  const onServer = (url: string) => url.startsWith('/') || new URL(url).origin === serverOrigin;
  const operatorRealms = setup.realms.filter((r) => onServer(r.url)).length;
  const hosts = setup.realms.map((r) => (onServer(r.url) ? new URL(server).host : new URL(r.url).host));
  const n = setup.realms.length;
  const t = setup.threshold;
  const operator =
    operatorRealms === 0
      ? ''
      : operatorRealms === n
        ? ", run by this server's operator"
        : `, ${operatorRealms} run by this server's operator`;
  const summary = n === 1 ? `1 realm${operator}` : `${t} of ${n} realms${operator}: ${hosts.join(', ')}`;
  return { kind: 'realms', realms: n, threshold: t, operatorRealms, hosts, summary };
}

/** A time the server reports, or null when it has none or one no date can hold (it would throw). */
const iso = (ms: number | null | undefined): string | null => {
  const date = new Date(ms || NaN);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
};

/** Every notice kept on this device, oldest first, each with why it is done (if it is). */
export function allNotices(state: KeychainState, now = Date.now()): KeychainStatus['notices'] {
  return state.notices.map((n) => {
    const done = noticeDone(n, state, now);
    return {
      id: n.id,
      kind: n.kind,
      message: describeNotice(n),
      createdAt: new Date(n.createdAt).toISOString(),
      ...(done ? { done } : {}),
    };
  });
}

/** The local view; no network. */
export function keychainStatus(keychain: Keychain): KeychainStatus {
  const state = keychain.state;
  const clock = serverClockFromMeta(keychain.host.getMeta(SERVER_CLOCK_META_KEY));
  return {
    signedIn: state !== null,
    server: state?.server ?? null,
    account: state?.email ?? null,
    accountId: state?.accountId ?? null,
    deviceId: state?.deviceId ?? null,
    deviceName: state?.deviceName ?? null,
    status: state?.status ?? null,
    trusted: state?.status === 'trusted',
    keyEpoch: state?.circle?.epoch ?? null,
    trustedDevices: state?.circle ? trustedDevices(state.circle).length : 0,
    lastSyncAt: iso(state?.lastSyncAt),
    lastBackupAt: iso(state?.lastBackupAt),
    lastVerifiedAt: iso(state?.lastVerify?.at),
    lastVerifyOk: state?.lastVerify?.ok ?? null,
    pendingChanges: state?.status === 'trusted' ? pendingRecords(keychain).length : 0,
    lastError: state?.lastError ?? null,
    serverClockOffsetMs: clock?.offsetMs ?? null,
    notices: (state ? allNotices(state) : []).filter((n) => !n.done).slice(-10),
    doneNotices: state ? allNotices(state).filter((n) => n.done).length : 0,
    pin: state?.circle ? pinProtection(state.circle, state.server) : null,
  };
}

export interface DeviceView {
  id: string;
  name: string;
  /** Trusted and removed come from the verified circle; pending from the server. */
  status: 'pending' | 'trusted' | 'removed';
  via: string | null;
  thisDevice: boolean;
  createdAt: string | null;
  lastSeenAt: string | null;
}

/**
 * The device list from the verified circle and the devices the server reports: the circle's members
 * first (trusted and removed, named as the circle says: the server's names are not trusted), then
 * the join requests the server reports that are not in the circle yet. Pure, so the web app (which
 * must not refresh the circle beside its follow loop) lists devices with the same code as the CLI.
 */
export function deviceList(
  circle: CircleState,
  reported: readonly Device[],
  thisDeviceId: string,
): DeviceView[] {
  const server = new Map(reported.map((d) => [d.id, d]));
  const views: DeviceView[] = Object.values(circle.devices).map((m) => ({
    id: m.device.id,
    name: m.device.name,
    status: m.status,
    via: m.via,
    thisDevice: m.device.id === thisDeviceId,
    createdAt: iso(server.get(m.device.id)?.createdAt),
    lastSeenAt: iso(server.get(m.device.id)?.lastSeenAt),
  }));
  for (const d of reported) {
    if (circle.devices[d.id] || d.status !== 'pending') continue;
    views.push({
      id: d.id,
      name: d.name,
      status: 'pending',
      via: null,
      thisDevice: d.id === thisDeviceId,
      createdAt: iso(d.createdAt),
      lastSeenAt: iso(d.lastSeenAt),
    });
  }
  return views;
}

/** Devices of the account: the circle's members, plus pending join requests the server reports. */
export async function listDevices(keychain: Keychain): Promise<DeviceView[]> {
  const state = keychain.requireState();
  const circle = await keychain.refreshCircle();
  const { devices } = await keychain.client().call('devices');
  return deviceList(circle, devices, state.deviceId);
}
