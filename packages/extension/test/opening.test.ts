// The popup's opening (src/popup/opening.ts) with each step held by the test: a lock that comes while
// the first screen is read or the vault is opening wins over what began before it (the race that
// lock.e2e met only under load, commit 82ec618), and without a lock the codes show as before.
import { describe, expect, it } from 'vitest';
import type { Vault } from '@tessera/vault';
import type { FirstScreen } from '../src/first-screen.js';
import { startOpening, type OpeningRest } from '../src/popup/opening.js';

/** A promise the test settles. */
function held<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every promise reaction already queued run (all steps here settle as microtasks). */
const settled = () => new Promise((resolve) => setImmediate(resolve));

const LOCKED = new Error('locked');

/**
 * The popup as opening drives it: its state (what `Popup` renders from) and what it did, with the
 * first screen read, each open of the vault and the lock under the test's control.
 */
function popup() {
  const state = {
    vault: null as Vault | null,
    first: null as FirstScreen | null,
    locked: false,
    problem: '',
  };
  const did: string[] = [];
  const firstScreen = held<{ screen: FirstScreen; generation: number } | null>();
  const opens: ReturnType<typeof held<Vault>>[] = [];
  const painted: (() => void)[] = [];
  let lock = (): void => undefined;
  const rest: OpeningRest = {
    openVault: () => {
      const open = held<Vault>();
      opens.push(open);
      return open.promise;
    },
    closeVault: (vault) => void did.push(`close ${vault.generation}`),
    touch: async () => void did.push('touch'),
    saveFirstScreen: async () => void did.push('seal'),
    isLocked: (err) => err === LOCKED,
    vaultProblem: (err) => String(err),
  };
  const opening = startOpening(
    {
      firstScreen: () => firstScreen.promise,
      loadRest: async () => rest,
      onLocked: (listener) => {
        lock = listener;
        return () => void (lock = () => undefined);
      },
      afterFirstPaint: (task) => void painted.push(task),
      mark: (name) => void did.push(name),
    },
    {
      rest: () => undefined,
      first: (screen) => void (state.first = screen),
      opened: (vault) => {
        state.vault = vault;
        state.locked = false;
      },
      locked: () => {
        state.vault = null;
        state.first = null;
        state.locked = true;
      },
      problem: (text) => void (state.problem = text),
    },
  );
  /** Shows the first screen and paints it; the whole vault's open has then begun. */
  const paint = async (screen: FirstScreen) => {
    firstScreen.resolve({ screen, generation: 1 });
    await settled();
    painted.splice(0).forEach((task) => task());
    await settled();
  };
  return { state, did, firstScreen, opens, paint, lock: () => lock(), unlocked: opening.unlocked };
}

const screen = { top: [], bound: null, total: 3 } as unknown as FirstScreen;
const vault = (generation: number) => ({ generation }) as unknown as Vault;

describe('the popup opening', () => {
  it('shows the first screen, then the open vault (no lock meanwhile)', async () => {
    const p = popup();
    await p.paint(screen);
    expect(p.state.first).toBe(screen);
    expect(p.opens).toHaveLength(1);
    const open = vault(2);
    p.opens[0]!.resolve(open);
    await settled();
    expect(p.state).toMatchObject({ vault: open, locked: false });
    expect(p.did).toEqual(['first-screen', 'touch', 'vault-open', 'seal']);
  });

  it('stays locked when a lock comes while the vault is opening and the open finishes after it', async () => {
    const p = popup();
    await p.paint(screen);
    expect(p.opens).toHaveLength(1);
    p.lock(); // the idle alarm, with the open in flight
    expect(p.state).toMatchObject({ vault: null, first: null, locked: true });
    p.opens[0]!.resolve(vault(2)); // opened with the key of before the lock
    await settled();
    expect(p.state).toMatchObject({ vault: null, first: null, locked: true });
    // Not touched (the idle lock's clock), nothing sealed, and the vault opened with the key of before
    // the lock let go of (it would otherwise stay alive, key and entries, re-reading each save).
    expect(p.did).toEqual(['first-screen', 'close 2']);
  });

  it('keeps an unlock made after the lock when the open begun before it fails', async () => {
    const p = popup();
    await p.paint(screen);
    p.lock();
    const unlocked = vault(2);
    p.unlocked(unlocked); // the lock screen's onUnlocked
    p.opens[0]!.reject(LOCKED); // the open of before the lock finds the key gone
    await settled();
    expect(p.state).toMatchObject({ vault: unlocked, locked: false });
  });

  it('lets go of the vault on screen when Tessera locks', async () => {
    const p = popup();
    await p.paint(screen);
    p.opens[0]!.resolve(vault(2));
    await settled();
    expect(p.state).toMatchObject({ vault: vault(2), locked: false });
    p.lock(); // the idle alarm, or a lock in another part of the extension
    await settled();
    expect(p.state).toMatchObject({ vault: null, first: null, locked: true });
    // Kept, it would go on re-reading the file on other contexts' saves with the key of before.
    expect(p.did).toEqual(['first-screen', 'touch', 'vault-open', 'seal', 'close 2']);
    p.lock(); // a second lock has nothing more to let go of
    await settled();
    expect(p.did.filter((d) => d.startsWith('close'))).toEqual(['close 2']);
  });

  it('lets go at the next lock of a vault the lock screen opened', async () => {
    const p = popup();
    p.lock();
    await p.paint(screen);
    p.opens[0]!.reject(LOCKED);
    await settled();
    p.unlocked(vault(3)); // the passphrase, on the lock screen
    expect(p.state).toMatchObject({ vault: vault(3), locked: false });
    p.lock();
    await settled();
    expect(p.state).toMatchObject({ vault: null, locked: true });
    expect(p.did).toEqual(['close 3']);
  });

  it('does not show a first screen read before a lock, and opens the vault instead', async () => {
    const p = popup();
    p.lock(); // while the first screen is being read
    await p.paint(screen);
    expect(p.state).toMatchObject({ first: null, locked: true });
    expect(p.opens).toHaveLength(1); // the open that asks for the passphrase
    p.opens[0]!.reject(LOCKED);
    await settled();
    expect(p.state).toMatchObject({ vault: null, first: null, locked: true });
  });

  it('says what went wrong when the open fails for another reason', async () => {
    const p = popup();
    await p.paint(screen);
    p.opens[0]!.reject(new Error('disk on fire'));
    await settled();
    expect(p.state).toMatchObject({ first: null, problem: 'Error: disk on fire' });
  });
});
