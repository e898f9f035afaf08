import { useState } from 'preact/hooks';
import { TRASH_DAYS } from '@tessera/vault';
import type { App } from '../app/controller.js';
import { useStore } from '../app/store.js';
import { Confirm } from '../components/Dialog.js';
import { forScreen, trashWords } from '../app/words.js';

/** Deleted entries still in the trash: restore one, or empty the trash. Reached from Settings. */
export function Trash({ app }: { app: App }) {
  const { trash } = useStore(app.store);
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = (work: () => Promise<void>) => {
    setError(null);
    work().catch((e: unknown) => setError(forScreen(e)));
  };
  return (
    <>
      <h1>{trashWords.title}</h1>
      <p class="hint">{trashWords.intro(TRASH_DAYS)}</p>
      {error && <p role="alert">{error}</p>}
      {trash.length === 0 ? (
        <p>{trashWords.empty}</p>
      ) : (
        <>
          <ul class="card" aria-label={trashWords.title}>
            {trash.map((entry) => (
              <li key={entry.id} data-testid="trash-entry">
                <strong>{entry.issuer || entry.account}</strong>
                {entry.issuer && entry.account ? ` ${entry.account}` : ''}{' '}
                <span class="hint">{trashWords.deletedOn(entry.deletedAt)}</span>{' '}
                <button
                  type="button"
                  aria-label={`${trashWords.restore} ${entry.issuer || entry.account}`}
                  onClick={() => run(() => app.restoreEntry(entry.id))}
                >
                  {trashWords.restore}
                </button>
              </li>
            ))}
          </ul>
          <button type="button" class="danger" onClick={() => setAsking(true)}>
            {trashWords.emptyButton}
          </button>
        </>
      )}
      {asking && (
        <Confirm
          title={trashWords.emptyTitle}
          message={trashWords.emptyMessage}
          confirmLabel={trashWords.emptyConfirm}
          onCancel={() => setAsking(false)}
          onConfirm={() => {
            setAsking(false);
            run(() => app.emptyTrash());
          }}
        />
      )}
    </>
  );
}
