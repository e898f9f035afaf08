/**
 * The popup's way from its first paint to the open vault, kept apart from Preact so that a test can
 * hold each step (`test/opening.test.ts`): the sealed first screen paints first, the whole vault is
 * opened after that paint, and a lock that comes meanwhile wins over whatever began before it.
 */
import type { Vault } from '@tessera/vault';
import type { FirstScreen } from '../first-screen.js';

/** The part of the modules loaded after the first paint (`popup-rest.tsx`) that opening uses. */
export interface OpeningRest {
  openVault(): Promise<Vault>;
  /** Lets go of a vault that will not be shown again (its open was overtaken by a lock, or it locked). */
  closeVault(vault: Vault): void;
  touch(): Promise<void>;
  saveFirstScreen(vault: Vault): Promise<void>;
  isLocked(err: unknown): boolean;
  vaultProblem(err: unknown): string;
}

export interface OpeningSteps<R extends OpeningRest> {
  /** The sealed first screen, or null (none, or sealed under another key). */
  firstScreen(): Promise<{ screen: FirstScreen; generation: number } | null>;
  /** The modules below the codes, loaded once. */
  loadRest(): Promise<R>;
  /** Calls `listener` on each lock (the idle alarm, a lock in another part); returns its removal. */
  onLocked(listener: () => void): () => void;
  /** Runs `task` once the first screen has painted. */
  afterFirstPaint(task: () => void): void;
  /** A performance mark (`npm run bench:extension`). */
  mark(name: string): void;
}

/** What the popup shows: each call is a state change of the component. */
export interface OpeningView<R extends OpeningRest> {
  rest(loaded: R): void;
  /** The first screen to show until the vault is open; null to show none. */
  first(screen: FirstScreen | null): void;
  opened(vault: Vault): void;
  /** No open vault and no first screen: the lock screen. */
  locked(): void;
  problem(text: string): void;
}

/** A started opening: what the popup calls back into it. */
export interface Opening {
  /** Stops listening for locks. */
  stop(): void;
  /** Shows a vault the lock screen opened; the next lock lets go of it, as of one opened here. */
  unlocked(vault: Vault): void;
}

/** Starts opening. */
export function startOpening<R extends OpeningRest>(steps: OpeningSteps<R>, view: OpeningView<R>): Opening {
  // Counts locks: what began before the latest one (a first screen read, an open) is not shown.
  let locks = 0;
  // The vault on screen, let go of at the next lock: kept, it would stay alive with its key and
  // entries and go on re-reading the file on other contexts' saves behind the lock screen.
  let shown: Vault | null = null;
  const openWhole = (firstGeneration: number | null) => {
    // A lock that comes while the vault is opening wins: the open began with the key of before, and
    // its result (the vault, or the error of an open the lock overtook) belongs to before the lock.
    const locksAtOpen = locks;
    return steps.loadRest().then((loaded) => {
      view.rest(loaded);
      return loaded.openVault().then(
        (open) => {
          if (locks !== locksAtOpen) return loaded.closeVault(open);
          view.opened(open);
          shown = open;
          void loaded.touch(); // opening the popup is use: the idle lock counts from now
          steps.mark('vault-open');
          // No first screen yet, or one from before a change made elsewhere: seal the current one.
          if (open.generation !== firstGeneration) void loaded.saveFirstScreen(open).catch(() => undefined);
        },
        (err: unknown) => {
          if (locks !== locksAtOpen) return;
          view.first(null);
          if (loaded.isLocked(err)) view.locked();
          else view.problem(loaded.vaultProblem(err));
        },
      );
    });
  };
  // The first screen paints first; the whole vault is decrypted after that paint, not before.
  const locksBefore = locks;
  void steps.firstScreen().then((loaded) => {
    if (!loaded || locks !== locksBefore) return void openWhole(null);
    steps.mark('first-screen');
    view.first(loaded.screen);
    steps.afterFirstPaint(() => void openWhole(loaded.generation));
  });
  const stop = steps.onLocked(() => {
    locks += 1;
    const was = shown;
    shown = null;
    view.locked();
    void steps.loadRest().then((loaded) => {
      view.rest(loaded);
      if (was) loaded.closeVault(was);
    });
  });
  return {
    stop,
    unlocked(vault) {
      shown = vault;
      view.opened(vault);
    },
  };
}
