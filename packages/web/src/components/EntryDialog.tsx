import { useState } from 'preact/hooks';
import { TRASH_DAYS, type VaultEntry } from '@tessera/vault';
import { IconPicker } from './IconPicker.js';
import { useStore } from '../app/store.js';
import type { App } from '../app/controller.js';
import { Dialog } from './Dialog.js';
import { Checkbox, ErrorText } from './Field.js';
import { forScreen, orderWords } from '../app/words.js';
import { ShareCodes } from './ShareCodes.js';
import { LabelFields, labelPatch, useLabels } from './LabelFields.js';

export { parseTags } from './LabelFields.js';

/** Edit the labels of one entry, pin it, keep it on this device only, or delete it. */
export function EntryDialog({ app, entry, onClose }: { app: App; entry: VaultEntry; onClose(): void }) {
  const state = useStore(app.store);
  const [labels, setLabels] = useLabels(entry);
  const [pinned, setPinned] = useState(entry.pinned === true);
  const [deviceOnly, setDeviceOnly] = useState(entry.deviceOnly);
  const [icon, setIcon] = useState<string | undefined>(entry.icon);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const label = entry.issuer || entry.account || 'this entry';
  // A code link is hosted by the keychain server, so only a trusted keychain device can make one.
  const canShare = state.keychain?.status === 'trusted' && entry.type !== 'hotp';

  const save = async (event: Event) => {
    event.preventDefault();
    try {
      await app.updateEntry(entry.id, {
        ...labelPatch(labels),
        deviceOnly,
        ...(icon !== entry.icon ? { icon: icon ?? null } : {}),
      });
      if (pinned !== (entry.pinned === true)) await app.setPinned(entry.id, pinned);
      onClose();
    } catch (e) {
      setError(forScreen(e));
    }
  };

  if (confirming) {
    return (
      <Dialog title={`Delete ${label}?`} onClose={onClose}>
        <p>
          Its codes will be gone from this device
          {state.keychainOn && !entry.deviceOnly ? ' and from your other devices' : ''}. Make sure you can
          still sign in to {label} another way, for example with its recovery codes. Until then it waits{' '}
          {TRASH_DAYS} days in the trash (Settings, Trash), where you can restore it.
        </p>
        <div class="actions">
          <button
            type="button"
            class="danger"
            onClick={async () => {
              await app.removeEntry(entry.id);
              onClose();
            }}
          >
            Delete
          </button>
          <button type="button" autofocus onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog title={`Edit ${label}`} onClose={onClose}>
      <form onSubmit={save}>
        <LabelFields id="edit" labels={labels} onLabels={setLabels} />
        <IconPicker
          entry={{ ...entry, issuer: labels.issuer, account: labels.account, icon }}
          onChoose={setIcon}
        />
        <Checkbox label="Pin to the top" checked={pinned} onChecked={setPinned} />
        <p class="hint check-hint">{orderWords.pinHint(state.keychainOn && !deviceOnly)}</p>
        <Checkbox
          label="Keep on this device only (never backed up)"
          checked={deviceOnly}
          onChecked={setDeviceOnly}
        />
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
      {canShare && <ShareCodes app={app} entryId={entry.id} />}
    </Dialog>
  );
}
