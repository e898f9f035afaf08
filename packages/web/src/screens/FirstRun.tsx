import { useState } from 'preact/hooks';
import type { App } from '../app/controller.js';
import { keychainServer } from '../app/server-url.js';
import { KeychainStart } from './KeychainStart.js';

/** The first screen of a new browser: keep codes here only, or turn on the keychain backup. */
export function FirstRun({ app }: { app: App }) {
  const [backup, setBackup] = useState(false);
  if (backup) return <KeychainStart app={app} server={keychainServer()} onBack={() => setBackup(false)} />;
  return (
    <>
      <h1>Welcome to Tessera</h1>
      <p>Your two-factor codes, on every device you trust. Choose how to start; you can change it later.</p>
      <div class="choices">
        <button type="button" class="choice" onClick={() => setBackup(true)}>
          <strong>Turn on keychain backup</strong>
          <span>
            Create an account or sign in. Your codes are encrypted on this device before they are backed up,
            and come back when you sign in on a new one.
          </span>
        </button>
        <button type="button" class="choice" onClick={() => void app.chooseDeviceOnly()}>
          <strong>Use on this device only</strong>
          <span>Nothing leaves this browser. Export a backup file yourself from time to time.</span>
        </button>
      </div>
    </>
  );
}
