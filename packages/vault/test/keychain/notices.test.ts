// Which notices still need attention (issue 18): acted on, overtaken, expired and dismissed ones
// leave the active list and stay in the history with the reason.
import { describe, expect, it } from 'vitest';
import type { Notice } from '@tessera/protocol';
import { activeNotices, noticeDone, type KeychainState } from '../../src/keychain/index.js';

const NOW = Date.UTC(2026, 11, 5, 12);
const MIN = 60_000;

function stateWith(notices: Notice[], extra: Partial<KeychainState> = {}): KeychainState {
  return {
    notices,
    circle: { devices: {} },
    lastVerify: null,
    ...extra,
  } as unknown as KeychainState;
}

const notice = (id: number, kind: Notice['kind'], data: Record<string, unknown>, ago: number): Notice => ({
  id,
  kind,
  data,
  createdAt: NOW - ago,
});

describe('notice resolution', () => {
  it('a join request is done once the device joined, was removed, or expired; open while it may still be approved', () => {
    const asks = (id: number, deviceId: string, ago = MIN) =>
      notice(id, 'device-join-requested', { deviceId, name: deviceId }, ago);
    const state = stateWith(
      [asks(1, 'joined'), asks(2, 'gone'), asks(3, 'old', 11 * MIN), asks(4, 'waiting')],
      {
        circle: {
          devices: {
            joined: { status: 'trusted' },
            gone: { status: 'removed' },
          },
        } as unknown as KeychainState['circle'],
      },
    );
    expect(state.notices.map((n) => noticeDone(n, state, NOW))).toEqual([
      'joined',
      'removed',
      'expired',
      null,
    ]);
    expect(activeNotices(state, NOW).map((n) => n.id)).toEqual([4]);
  });

  it('a wrong-PIN count is overtaken by the next one, and the lock by a new PIN', () => {
    const state = stateWith([
      notice(1, 'pin-attempt-failed', { attemptsLeft: 9 }, 5 * MIN),
      notice(2, 'pin-attempt-failed', { attemptsLeft: 8 }, 4 * MIN),
      notice(3, 'escrow-destroyed', {}, 3 * MIN),
    ]);
    expect(state.notices.map((n) => noticeDone(n, state, NOW))).toEqual(['overtaken', 'overtaken', null]);
    state.notices.push(notice(4, 'pin-changed', {}, MIN));
    expect(noticeDone(state.notices[2]!, state, NOW)).toBe('PIN set again');
  });

  it('dismissed on this device, or old news after a week; a backup mismatch until a verification passes', () => {
    const state = stateWith(
      [
        notice(1, 'device-joined', { name: 'A' }, 8 * 24 * 60 * MIN),
        notice(2, 'device-joined', { name: 'B' }, MIN),
        notice(3, 'recovery-key-used', { name: 'C' }, MIN),
        notice(4, 'backup-mismatch', {}, 2 * MIN),
      ],
      { dismissedNotices: [3] },
    );
    expect(state.notices.map((n) => noticeDone(n, state, NOW))).toEqual([
      'older than a week',
      null,
      'dismissed',
      null,
    ]);
    state.lastVerify = { at: NOW - MIN, ok: true, checked: 1, mismatched: 0 };
    expect(noticeDone(state.notices[3]!, state, NOW)).toBe('verified since');
  });
});
