import { useEffect, useState } from 'preact/hooks';
import type { App } from '../app/controller.js';
import type {
  ConfirmSafetyNumber,
  FolderActivityEvent,
  FolderInvite,
  FolderMemberView,
  FolderRole,
  FolderView,
} from '../app/folders.js';
import { useStore } from '../app/store.js';
import { folderWords as w, safetyWords } from '../app/words.js';
import { Confirm, Dialog } from '../components/Dialog.js';
import { ErrorText, Field } from '../components/Field.js';
import { SafetyNumber } from '../components/SafetyNumber.js';
import { useBusy } from '../components/useBusy.js';

/**
 * The safety-number check as a callback the folder flows call: it shows the number in a dialog and
 * resolves true only on "Numbers match" (or a scan of the same number).
 */
function useSafetyCheck(app: App) {
  const [asking, setAsking] = useState<{ number: string; peer: string; answer(ok: boolean): void } | null>(
    null,
  );
  const confirm: ConfirmSafetyNumber = (number, peer) =>
    new Promise<boolean>((resolve) =>
      setAsking({
        number,
        peer,
        answer: (ok) => {
          setAsking(null);
          resolve(ok);
        },
      }),
    );
  const dialog = asking && (
    <Dialog title={safetyWords.title(asking.peer)} onClose={() => asking.answer(false)}>
      <SafetyNumber
        number={asking.number}
        peer={asking.peer}
        qrImage={(text) => app.qrImage(text)}
        onMatch={() => asking.answer(true)}
        onMismatch={() => asking.answer(false)}
      />
    </Dialog>
  );
  return { confirm, dialog };
}

/** Shared folders: invites, the folder list, creating one, and one folder's members and activity. */
export function Folders({ app }: { app: App }) {
  const state = useStore(app.store);
  const [open, setOpen] = useState<string | null>(null);
  const trusted = state.keychain?.status === 'trusted';
  useEffect(() => {
    if (trusted) void app.refreshFolders();
  }, [trusted]);

  if (!state.keychainOn || !state.keychain)
    return (
      <>
        <h1>{w.title}</h1>
        <p>{w.needKeychain}</p>
        <p>
          <a class="button" href="#/backup">
            Open the Backup page
          </a>
        </p>
      </>
    );
  if (!trusted)
    return (
      <>
        <h1>{w.title}</h1>
        <p>{w.needTrusted}</p>
      </>
    );

  const view = state.folders;
  const folder = open ? view?.folders.find((f) => f.id === open) : undefined;
  if (open && folder) return <FolderDetail app={app} folder={folder} onBack={() => setOpen(null)} />;

  return (
    <>
      <h1>{w.title}</h1>
      <p class="hint">{w.intro}</p>
      {view?.error && (
        <p class="banner error" role="alert">
          {view.error}
        </p>
      )}
      {view && view.invites.length > 0 && <Invites app={app} invites={view.invites} onOpen={setOpen} />}
      <section class="card" aria-labelledby="folders-list-title">
        <h2 id="folders-list-title">Your folders</h2>
        {!view ? (
          <p class="hint" aria-busy="true">
            Loading…
          </p>
        ) : view.folders.length === 0 ? (
          <p class="hint">{w.none}</p>
        ) : (
          <ul class="list" data-testid="folder-list">
            {view.folders.map((f) => (
              <li key={f.id}>
                <span class="grow">
                  <strong>{f.name || w.unnamed}</strong>
                  <br />
                  <span class="hint">
                    {w.role[f.role]} · {w.members(f.members)} · {w.codes(view.entries[f.id]?.length ?? 0)}
                  </span>
                </span>
                <button type="button" aria-label={w.open(f.name)} onClick={() => setOpen(f.id)}>
                  Open
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <CreateFolder app={app} onCreated={setOpen} />
    </>
  );
}

function Invites(props: { app: App; invites: FolderInvite[]; onOpen(id: string): void }) {
  const { confirm, dialog } = useSafetyCheck(props.app);
  const { busy, error, setError, run } = useBusy();
  return (
    <section class="card" aria-labelledby="invites-title">
      <h2 id="invites-title">{w.invitesTitle}</h2>
      <ul class="list">
        {props.invites.map((invite) => (
          <li key={invite.folder}>
            <span class="grow">{w.invite(invite.invitedBy, w.role[invite.role]!)}</span>
            <button
              type="button"
              class="primary"
              disabled={busy}
              aria-label={w.acceptButton(invite.invitedBy)}
              onClick={() =>
                void run(async () => {
                  const folders = await props.app.folders();
                  let confirmed = false;
                  const joined = await folders.accept({
                    invite,
                    confirm: async (number, peer) => (confirmed = await confirm(number, peer)),
                  });
                  if (!confirmed) return setError(w.notConfirmed);
                  props.app.toast(w.accepted(joined.name));
                  props.onOpen(joined.id);
                })
              }
            >
              Check and accept…
            </button>
          </li>
        ))}
      </ul>
      <ErrorText error={error} />
      {dialog}
    </section>
  );
}

function CreateFolder({ app, onCreated }: { app: App; onCreated(id: string): void }) {
  const [name, setName] = useState('');
  const { busy, error, run } = useBusy();
  return (
    <section class="card" aria-labelledby="create-folder-title">
      <h2 id="create-folder-title">{w.createTitle}</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const folder = await (await app.folders()).create(name.trim());
            app.toast(w.created(folder.name));
            setName('');
            onCreated(folder.id);
          });
        }}
      >
        <Field id="folder-name" label={w.createLabel} value={name} onValue={setName} />
        <ErrorText error={error} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy || name.trim() === ''}>
            {w.createButton}
          </button>
        </div>
      </form>
    </section>
  );
}

/** One folder: its members (owners manage them), invites, activity, and deleting it. */
function FolderDetail(props: { app: App; folder: FolderView; onBack(): void }) {
  const { app, folder } = props;
  const state = useStore(app.store);
  const [members, setMembers] = useState<FolderMemberView[] | null>(null);
  const [removing, setRemoving] = useState<FolderMemberView | null>(null);
  const [deleting, setDeleting] = useState(false);
  const { busy, error, setError, run } = useBusy();
  const owner = folder.role === 'owner';
  const me = state.keychain?.email ?? '';
  const count = state.folders?.entries[folder.id]?.length ?? 0;

  const load = () =>
    run(async () => {
      setMembers(await (await app.folders()).members(folder.id));
    });
  // Reloaded when a sync changed the folder (a member joined, left, or the key was replaced).
  useEffect(() => void load(), [folder.id, folder.membership]);

  return (
    <>
      <p>
        <button type="button" class="link" onClick={props.onBack}>
          ← {w.back}
        </button>
      </p>
      <h1>{folder.name || w.unnamed}</h1>
      <p>
        <span class="status" data-testid="folder-role">
          {w.role[folder.role]}
        </span>{' '}
        <span class="hint">
          {w.roleHelp[folder.role]} · {w.codes(count)}
        </span>
      </p>
      <p class="hint" data-testid={folder.role === 'viewer' ? 'viewer-note' : 'secrets-note'}>
        {folder.role === 'viewer' ? w.viewerNote : w.secretsNote}
      </p>
      <section class="card" aria-labelledby="members-title">
        <h2 id="members-title">{w.membersTitle}</h2>
        {!members ? (
          <p class="hint" aria-busy="true">
            Loading…
          </p>
        ) : (
          <ul class="list" data-testid="members">
            {members
              .filter((m) => m.status !== 'removed')
              .map((m) => {
                const name = m.email || m.account;
                const self = m.email !== '' && m.email === me;
                return (
                  <li key={m.account} data-testid="member">
                    <span class="grow">
                      <strong>{name}</strong>
                      {self && <span class="status"> {w.you}</span>}
                      <br />
                      <span class="hint">
                        {w.role[m.role]} · {w.status[m.status]}
                        {!self && m.keyChangedAt !== null && (
                          <span data-testid="key-changed"> · {w.keyChanged}</span>
                        )}
                      </span>
                    </span>
                    {owner && !self && (
                      <>
                        <label class="visually-hidden" for={`role-${m.account}`}>
                          {w.roleLabel(name)}
                        </label>
                        <select
                          id={`role-${m.account}`}
                          class="inline-select"
                          value={m.role}
                          disabled={busy || m.status !== 'active'}
                          onChange={(e) => {
                            const role = (e.target as HTMLSelectElement).value as FolderRole;
                            void run(async () => {
                              await (await app.folders()).changeRole(folder.id, m.email, role);
                              app.toast(w.roleChanged(name, w.role[role]!));
                              setMembers(await (await app.folders()).members(folder.id));
                            });
                          }}
                        >
                          {(['owner', 'editor', 'viewer'] as const).map((r) => (
                            <option key={r} value={r}>
                              {w.role[r]}
                            </option>
                          ))}
                        </select>
                        <button
                          type="button"
                          class="danger"
                          aria-label={w.removeButton(name)}
                          disabled={busy}
                          onClick={() => setRemoving(m)}
                        >
                          Remove
                        </button>
                      </>
                    )}
                  </li>
                );
              })}
          </ul>
        )}
        <ErrorText error={error} />
      </section>
      {owner && (
        <InviteForm
          app={app}
          folder={folder}
          onInvited={(member) => setMembers((list) => [...(list ?? []), member])}
        />
      )}
      {owner && <Activity app={app} folder={folder} />}
      {owner && (
        <div class="actions">
          <button type="button" class="danger" onClick={() => setDeleting(true)}>
            {w.deleteButton}
          </button>
        </div>
      )}
      {removing && (
        <Confirm
          title={w.removeTitle(removing.email || removing.account)}
          message={w.removeMessage(removing.email || removing.account)}
          confirmLabel={w.removeConfirm}
          onCancel={() => setRemoving(null)}
          onConfirm={() => {
            const member = removing;
            setRemoving(null);
            void run(async () => {
              await (await app.folders()).removeMember(folder.id, member.account);
              app.toast(w.removed(member.email || member.account));
              setMembers(await (await app.folders()).members(folder.id));
            });
          }}
        />
      )}
      {deleting && (
        <Confirm
          title={w.deleteTitle(folder.name)}
          message={w.deleteMessage}
          confirmLabel={w.deleteConfirm}
          onCancel={() => setDeleting(false)}
          onConfirm={() => {
            setDeleting(false);
            void (async () => {
              try {
                await (await app.folders()).deleteFolder(folder.id);
                app.toast(w.deleted(folder.name || w.unnamed));
                props.onBack();
              } catch (e) {
                setError((e as Error).message);
              }
            })();
          }}
        />
      )}
    </>
  );
}

function InviteForm(props: { app: App; folder: FolderView; onInvited(member: FolderMemberView): void }) {
  const { app, folder } = props;
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'editor' | 'viewer'>('viewer');
  const { confirm, dialog } = useSafetyCheck(app);
  const { busy, error, setError, run } = useBusy();
  return (
    <section class="card" aria-labelledby="invite-title">
      <h2 id="invite-title">{w.inviteTitle}</h2>
      <p class="hint">{w.inviteHelp}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            let confirmed = false;
            const member = await (
              await app.folders()
            ).invite({
              folder: folder.id,
              email: email.trim(),
              role,
              confirm: async (number, peer) => (confirmed = await confirm(number, peer)),
            });
            if (!confirmed) return setError(w.notConfirmed);
            app.toast(w.invited(email.trim()));
            setEmail('');
            props.onInvited(member);
          });
        }}
      >
        <Field
          id="invite-email"
          label={w.inviteEmail}
          value={email}
          onValue={setEmail}
          input={{ type: 'email', autocomplete: 'off' }}
        />
        <label for="invite-role">{w.inviteRole}</label>
        <select
          id="invite-role"
          value={role}
          onChange={(e) => setRole((e.target as HTMLSelectElement).value as 'editor' | 'viewer')}
        >
          <option value="viewer">
            {w.role.viewer} — {w.roleHelp.viewer}
          </option>
          <option value="editor">
            {w.role.editor} — {w.roleHelp.editor}
          </option>
        </select>
        <ErrorText error={error} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy || !email.includes('@')}>
            {w.inviteButton}
          </button>
        </div>
      </form>
      {dialog}
    </section>
  );
}

/** The folder's activity log, for owners: what members' devices said they showed or copied. */
function Activity({ app, folder }: { app: App; folder: FolderView }) {
  const [events, setEvents] = useState<FolderActivityEvent[] | null>(null);
  const { error, run } = useBusy();
  const load = () => run(async () => setEvents(await (await app.folders()).activity(folder.id)));
  useEffect(() => void load(), [folder.id]);
  return (
    <section class="card" aria-labelledby="activity-title">
      <h2 id="activity-title">{w.activityTitle}</h2>
      <p class="hint">{w.activityNote}</p>
      {events && events.length === 0 && <p class="hint">{w.activityNone}</p>}
      {events && events.length > 0 && (
        <ul class="list" data-testid="activity">
          {[...events]
            .sort((a, b) => b.at - a.at)
            .map((e, i) => (
              <li key={i}>
                <span class="grow">
                  {e.email || e.account} {w.activityKind[e.kind]} {e.label}
                  <br />
                  <span class="hint">{new Date(e.at).toLocaleString()}</span>
                </span>
              </li>
            ))}
        </ul>
      )}
      <ErrorText error={error} />
      <div class="actions">
        <button type="button" onClick={() => void load()}>
          Refresh activity
        </button>
      </div>
    </section>
  );
}
