/** Backup files on this device: a folder that receives them by itself, or a download (Backup page). */
import { useState } from 'preact/hooks';
import type { App } from '../app/controller.js';
import { useStore } from '../app/store.js';
import { ErrorText, Field } from '../components/Field.js';
import { useBusy } from '../components/useBusy.js';
import { timeAgo } from '../format.js';

/** A backup password must resist guessing: the file may end up anywhere. */
const MIN_BACKUP_PASSWORD = 10;

export function LocalBackupsCard({ app }: { app: App }) {
  const { localBackups: b, entries } = useStore(app.store);
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [keep, setKeep] = useState('10');
  const { busy, error, run } = useBusy();
  if (!b) return null;
  const keepCount = Number(keep);
  const passwordOk = password.length >= MIN_BACKUP_PASSWORD && password === again;
  const reset = () => {
    setPassword('');
    setAgain('');
  };
  return (
    <section class="card" aria-labelledby="files-backup-title">
      <h2 id="files-backup-title">Backup files</h2>
      <p data-testid="last-backup-file">
        {b.lastAt === null
          ? 'No backup file yet.'
          : `Last backup file ${timeAgo(b.lastAt)}: ${b.lastFile ?? 'downloaded'}.`}
      </p>
      {b.folder !== null && (
        <>
          <p>
            Backing up to the folder “{b.folder}” after changes, at most once an hour, keeping the newest{' '}
            {b.keep}.
          </p>
          {b.needsPermission && (
            <p role="alert">
              The browser needs your permission again to write to “{b.folder}”.{' '}
              <button type="button" onClick={() => void run(() => app.allowBackupFolder())}>
                Allow backups to “{b.folder}”
              </button>
            </p>
          )}
          <div class="actions">
            <button
              type="button"
              disabled={busy || b.needsPermission}
              onClick={() => void run(() => app.backUpToFolderNow())}
            >
              Back up to the folder now
            </button>
            <button type="button" disabled={busy} onClick={() => void run(() => app.stopBackupFolder())}>
              Stop folder backups
            </button>
          </div>
        </>
      )}
      {b.error && <p role="alert">{b.error}</p>}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const submitter = (e as SubmitEvent).submitter as HTMLButtonElement | null;
          void run(async () => {
            if (submitter?.value === 'folder') await app.chooseBackupFolder({ password, keep: keepCount });
            else await app.exportAs('tessera', password);
            reset();
          });
        }}
      >
        <p class="hint">
          A backup file holds every code, sealed with the password you give here; keep the password apart from
          the file. Tessera imports it on any device.
        </p>
        <div class="grid2">
          <Field
            id="backup-file-password"
            label="Password for backup files"
            value={password}
            onValue={setPassword}
            error={
              password !== '' && password.length < MIN_BACKUP_PASSWORD
                ? `At least ${MIN_BACKUP_PASSWORD} characters.`
                : null
            }
            input={{ type: 'password', autocomplete: 'new-password' }}
          />
          <Field
            id="backup-file-again"
            label="Confirm the backup file password"
            value={again}
            onValue={setAgain}
            error={again !== '' && again !== password ? 'The two passwords differ.' : null}
            input={{ type: 'password', autocomplete: 'new-password' }}
          />
        </div>
        {b.folderSupported && b.folder === null && (
          <Field
            id="backup-keep"
            label="Backups to keep in the folder"
            value={keep}
            onValue={setKeep}
            error={!(keepCount >= 1 && keepCount <= 100) ? 'From 1 to 100.' : null}
            input={{ type: 'number', min: '1', max: '100', inputMode: 'numeric' }}
          />
        )}
        <ErrorText error={error} />
        <div class="actions">
          <button
            type="submit"
            value="download"
            class="primary"
            disabled={busy || !passwordOk || entries.length === 0}
          >
            Download a backup file
          </button>
          {b.folderSupported && b.folder === null && (
            <button
              type="submit"
              value="folder"
              disabled={busy || !passwordOk || !(keepCount >= 1 && keepCount <= 100)}
            >
              Back up to a folder automatically…
            </button>
          )}
        </div>
      </form>
      <p class="hint">
        Moving codes to or from another app? <a href="#/files">Import and export</a> in its format.
      </p>
    </section>
  );
}
