import { useState } from 'preact/hooks';
import type { App } from '../app/controller.js';
import { forScreen } from '../app/words.js';
import { ErrorText } from './Field.js';

/**
 * "Share codes for 10 minutes" (docs/PROTOCOL.md §9): a link whose page shows the entry's codes of
 * that window to anyone who has it; the secret never leaves this device. The same button for an
 * entry of this device and one of a shared folder.
 */
export function ShareCodes(props: { app: App; entryId: string; folder?: string; note?: string }) {
  const [shared, setShared] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <section aria-labelledby="share-title">
      <h3 id="share-title">Share codes</h3>
      <p class="hint">
        A link that shows this entry’s codes for the next 10 minutes, to anyone who has it. The secret never
        leaves this device.{props.note ? ` ${props.note}` : ''}
      </p>
      {shared ? (
        <>
          <input readOnly aria-label="Code link" value={shared} class="mono" data-testid="share-link" />
          <div class="actions">
            <button type="button" onClick={() => void props.app.copyText(shared, 'Link copied.')}>
              Copy link
            </button>
          </div>
        </>
      ) : (
        <div class="actions">
          <button
            type="button"
            onClick={() =>
              void props.app
                .shareCodes(props.entryId, 10, props.folder)
                .then(setShared, (e: unknown) => setError(forScreen(e)))
            }
          >
            Share codes for 10 minutes
          </button>
        </div>
      )}
      <ErrorText error={error} />
    </section>
  );
}
