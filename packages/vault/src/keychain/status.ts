/** What `tessera keychain status` and `devices` show, computed from local state (and the server for devices). */
import { SERVER_CLOCK_META_KEY, serverClockFromMeta } from '../clock-skew.js';
import { trustedDevices } from './circle.js';
import type { Keychain } from './keychain.js';
import { describeNotice } from './notices.js';
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
  notices: { id: number; kind: string; message: string; createdAt: string }[];
}

const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);

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
    notices: (state?.notices ?? []).slice(-10).map((n) => ({
      id: n.id,
      kind: n.kind,
      message: describeNotice(n),
      createdAt: new Date(n.createdAt).toISOString(),
    })),
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

/** Devices of the account: the circle's members, plus pending join requests the server reports. */
export async function listDevices(keychain: Keychain): Promise<DeviceView[]> {
  const state = keychain.requireState();
  const circle = await keychain.refreshCircle();
  const { devices } = await keychain.client().call('devices');
  const server = new Map(devices.map((d) => [d.id, d]));
  const views: DeviceView[] = Object.values(circle.devices).map((m) => ({
    id: m.device.id,
    name: m.device.name,
    status: m.status,
    via: m.via,
    thisDevice: m.device.id === state.deviceId,
    createdAt: iso(server.get(m.device.id)?.createdAt),
    lastSeenAt: iso(server.get(m.device.id)?.lastSeenAt),
  }));
  for (const d of devices) {
    if (circle.devices[d.id] || d.status !== 'pending') continue;
    views.push({
      id: d.id,
      name: d.name,
      status: 'pending',
      via: null,
      thisDevice: d.id === state.deviceId,
      createdAt: iso(d.createdAt),
      lastSeenAt: iso(d.lastSeenAt),
    });
  }
  return views;
}
