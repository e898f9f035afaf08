import { useState } from 'preact/hooks';
import type { VaultEntry } from '@tessera/vault';
import type { App } from '../app/controller.js';
import type { FolderView } from '../app/folders.js';
import { Confirm, Dialog } from './Dialog.js';
import { ErrorText } from './Field.js';
import { folderWords, forScreen } from '../app/words.js';
import { LabelFields, labelPatch, useLabels } from './LabelFields.js';
import { ShareCodes } from './ShareCodes.js';

/**
 * An entry of a shared folder: owners and editors change its labels or delete it (for every
 * member); viewers get no edit controls, only the time-limited code link every member may make.
 */
export function FolderEntryDialog(props: {
  app: App;
  entry: VaultEntry;
  folder: FolderView;
  onClose(): void;
}) {
  const { app, entry, folder, onClose } = props;
  const [labels, setLabels] = useLabels(entry);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const label = entry.issuer || entry.account || 'this entry';
  const folderName = folder.name || folderWords.unnamed;
  const writer = folder.role !== 'viewer';
  const share = entry.type !== 'hotp' && (
    <ShareCodes app={app} entryId={entry.id} folder={folder.id} note={folderWords.shareSectionNote} />
  );

  if (!writer)
    return (
      <Dialog title={`${label} in ${folderName}`} onClose={onClose}>
        <p class="hint" data-testid="viewer-note">
          {folderWords.viewerNote}
        </p>
        {share}
        <div class="actions">
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </Dialog>
    );

  if (confirming)
    return (
      <Confirm
        title={`Delete ${label} from ${folderName}?`}
        message={`Its codes will be gone for every member of ${folderName}. Members who already saw them may have kept them.`}
        confirmLabel="Delete for everyone"
        onCancel={() => setConfirming(false)}
        onConfirm={() =>
          void app
            .folders()
            .then((f) => f.remove(folder.id, entry.id))
            .then(onClose, (e: unknown) => {
              setConfirming(false);
              setError(forScreen(e));
            })
        }
      />
    );

  const save = async (event: Event) => {
    event.preventDefault();
    try {
      await (await app.folders()).edit(folder.id, entry.id, labelPatch(labels));
      onClose();
    } catch (e) {
      setError(forScreen(e));
    }
  };

  return (
    <Dialog title={`Edit ${label} in ${folderName}`} onClose={onClose}>
      <form onSubmit={save}>
        <LabelFields id="folder-edit" labels={labels} onLabels={setLabels} />
        <p class="hint">Changes show for every member of {folderName}.</p>
        <ErrorText error={error} />
        <div class="actions">
          <button type="submit" class="primary">
            Save
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" class="danger" onClick={() => setConfirming(true)}>
            Delete…
          </button>
        </div>
      </form>
      {share}
    </Dialog>
  );
}
