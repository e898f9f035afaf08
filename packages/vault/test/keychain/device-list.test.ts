/**
 * The device list the CLI (`keychain devices`) and the web app's Backup page show, from a circle
 * verified from real signed links and the devices a server reports.
 */
import { describe, expect, it } from 'vitest';
import type { Device } from '@tessera/protocol';
import { applyLinks, buildLink, deviceList } from '../../src/keychain/index.js';
import { buildCircleWithoutB, device } from './circle-fixture.js';

/** A circle of A (genesis) and B (approved, then removed), then C (restored with the recovery key). */
function circle() {
  const { key2, s3 } = buildCircleWithoutB();
  return applyLinks(s3, [
    buildLink(s3, { op: 'add-device', by: 'C', device: device('C'), via: 'recovery', signer: key2 }),
  ]);
}

const T = Date.UTC(2026, 11, 7, 5, 0, 0);

/** A device as the server's `GET /v1/devices` reports it. */
function reported(
  id: string,
  status: Device['status'],
  name: string,
  createdAt: number,
  lastSeenAt: number,
): Device {
  const { encPub, signPub } = device(id);
  return { id, name, status, encPub, signPub, nonce: 'n', createdAt, lastSeenAt };
}

describe('deviceList', () => {
  it('lists the circle members as the circle names them, then the pending requests, once each', () => {
    const list = deviceList(
      circle(),
      [
        // The server's names for members are not shown: the circle's are.
        reported('C', 'trusted', 'Renamed by the server', T + 3000, T + 4000),
        reported('P', 'pending', 'Phone', T + 5000, 0),
        // The server's own claim of a trusted device the circle lacks is not listed.
        reported('S', 'trusted', 'Server device', T, T),
        reported('A', 'trusted', 'Device A', T, T + 1000),
        // A pending request for a device already in the circle shows as the circle says, once.
        reported('B', 'pending', 'B again', T + 6000, T + 6000),
        reported('Q', 'pending', 'Tablet', T + 7000, T + 8000),
      ],
      'C',
    );
    const at = (ms: number) => new Date(ms).toISOString();
    expect(list).toEqual([
      {
        id: 'A',
        name: 'Device A',
        status: 'trusted',
        via: 'genesis',
        thisDevice: false,
        createdAt: at(T),
        lastSeenAt: at(T + 1000),
      },
      {
        id: 'B',
        name: 'Device B',
        status: 'removed',
        via: 'approval',
        thisDevice: false,
        createdAt: at(T + 6000),
        lastSeenAt: at(T + 6000),
      },
      {
        id: 'C',
        name: 'Device C',
        status: 'trusted',
        via: 'recovery',
        thisDevice: true,
        createdAt: at(T + 3000),
        lastSeenAt: at(T + 4000),
      },
      // Never seen: no time rather than 1970.
      {
        id: 'P',
        name: 'Phone',
        status: 'pending',
        via: null,
        thisDevice: false,
        createdAt: at(T + 5000),
        lastSeenAt: null,
      },
      {
        id: 'Q',
        name: 'Tablet',
        status: 'pending',
        via: null,
        thisDevice: false,
        createdAt: at(T + 7000),
        lastSeenAt: at(T + 8000),
      },
    ]);
  });

  it('shows no time, rather than failing, for times the server reports that no date can hold', () => {
    const list = deviceList(
      circle(),
      [reported('P', 'pending', 'Phone', 9e15, Number.MAX_SAFE_INTEGER)],
      'A',
    );
    expect(list.find((d) => d.id === 'P')).toMatchObject({ createdAt: null, lastSeenAt: null });
  });

  it('keeps the members the server does not report, without times', () => {
    const list = deviceList(circle(), [], 'A');
    expect(list.map((d) => [d.id, d.status, d.thisDevice, d.createdAt, d.lastSeenAt])).toEqual([
      ['A', 'trusted', true, null, null],
      ['B', 'removed', false, null, null],
      ['C', 'trusted', false, null, null],
    ]);
  });
});
