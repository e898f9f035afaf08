import type { Vault } from '@tessera/vault';
import type { Store } from './store.js';
import type { AppState } from './controller.js';

export interface KeychainSessionOptions {
  vault: Vault;
  store: Store<AppState>;
  toast(message: string): void;
}

/** The keychain side of the app (lazy chunk): flows of docs/PROTOCOL.md §5 and live sync. */
export class KeychainSession {
  constructor(private readonly options: KeychainSessionOptions) {}
  private pending(): never {
    throw new Error('The keychain client is not part of this build yet.');
  }
  async resume(): Promise<void> {}
  async signUp(_o: { server: string; email: string; password: string; pin: string | null; deviceName: string }): Promise<string> {
    return this.pending();
  }
  async finishSignUp(): Promise<void> {}
  async signIn(_o: { server: string; email: string; password: string; deviceName: string }): Promise<void> {
    this.pending();
  }
  async refreshEscrow(): Promise<void> {}
  async joinWithPin(_pin: string): Promise<void> {
    this.pending();
  }
  async joinWithRecoveryKey(_key: string): Promise<void> {
    this.pending();
  }
  async approve(_code: string): Promise<string> {
    return this.pending();
  }
  async removeDevice(_id: string): Promise<void> {}
  async setPin(_pin: string): Promise<void> {}
  async syncNow(): Promise<void> {}
  async syncSoon(): Promise<void> {}
  async signOut(): Promise<void> {}
  stop(): void {
    void this.options;
  }
}
