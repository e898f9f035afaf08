import { useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import {
  normalizeEntry,
  OtpError,
  ALGORITHMS,
  type OtpEntry,
  type OtpType,
  type Algorithm,
} from '@tessera/otp';
import type { App } from '../app/controller.js';
import { entriesFromText } from '../app/entry-input.js';
import { cameraAvailable } from '../platform/qr.js';
import { QrCamera, QrPicture } from '../components/QrReader.js';
import { parseTags } from '../components/EntryDialog.js';
import { Checkbox } from '../components/Field.js';
import { useStore } from '../app/store.js';
import { folderWords, forScreen } from '../app/words.js';

type Way = 'scan' | 'image' | 'link' | 'manual';

/** Add one account: camera, picture, pasted link, or typed fields. */
export function Add({ app }: { app: App }) {
  const [way, setWay] = useState<Way>(cameraAvailable() ? 'scan' : 'image');
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  const [deviceOnly, setDeviceOnly] = useState(false);
  const [tags, setTags] = useState('');
  // Bumped after each add: the link and typed forms start empty again (their inputs are keyed).
  const [round, setRound] = useState(0);
  // '' is this device's own codes; otherwise the id of a shared folder this account may write to.
  const [folder, setFolder] = useState('');
  const writable = (useStore(app.store).folders?.folders ?? []).filter((f) => f.role !== 'viewer');

  const add = async (entries: OtpEntry[], skipped: string[] = []): Promise<boolean> => {
    const result = await app.addEntries(entries, {
      deviceOnly: deviceOnly && !folder,
      tags: parseTags(tags),
      ...(folder ? { folder } : {}),
    });
    const parts = [];
    if (result.added > 0)
      parts.push(
        `Added ${result.added === 1 ? entries[0]!.issuer || entries[0]!.account || 'the code' : `${result.added} codes`}.`,
      );
    if (result.duplicates > 0)
      parts.push(`${result.duplicates === 1 ? 'It was' : `${result.duplicates} were`} already here.`);
    if (skipped.length > 0) parts.push(`Could not read: ${skipped.join('; ')}.`);
    setMessage({ error: result.added === 0, text: parts.join(' ') });
    if (result.added > 0) {
      app.toast(parts[0]!);
      // The options were for what was just added; the next code starts from a clean form.
      setTags('');
      setDeviceOnly(false);
      setRound((n) => n + 1);
    }
    return result.added > 0;
  };
  const fromText = async (text: string) => {
    try {
      const parsed = await entriesFromText(text);
      await add(parsed.entries, parsed.skipped);
    } catch (e) {
      setMessage({ error: true, text: forScreen(e) });
    }
  };
  /** Typing again makes an old error (or success) stale: it goes. */
  const editing = () => setMessage((m) => (m ? null : m));

  // What applies to the code being added sits above the button that adds it.
  const options = (
    <fieldset class="add-options">
      <legend class="visually-hidden">Options</legend>
      {writable.length > 0 && (
        <>
          <label for="add-folder">{folderWords.saveTo}</label>
          <select
            id="add-folder"
            value={folder}
            onChange={(e) => setFolder((e.target as HTMLSelectElement).value)}
          >
            <option value="">{folderWords.myCodes}</option>
            {writable.map((f) => (
              <option key={f.id} value={f.id}>
                {f.name || folderWords.unnamed}
              </option>
            ))}
          </select>
        </>
      )}
      <label for="add-tags">
        Tags for what you add <span class="hint">optional, separated by commas</span>
      </label>
      <input id="add-tags" value={tags} onInput={(e) => setTags((e.target as HTMLInputElement).value)} />
      {!folder && (
        <Checkbox
          label="Keep on this device only (never backed up)"
          checked={deviceOnly}
          onChecked={setDeviceOnly}
        />
      )}
    </fieldset>
  );

  const ways: [Way, string][] = [
    ['scan', 'Scan'],
    ['image', 'Picture'],
    ['link', 'Link'],
    ['manual', 'Type it in'],
  ];
  return (
    <>
      <h1>Add a code</h1>
      <div class="tabs" role="group" aria-label="How to add">
        {ways.map(([id, name]) => (
          <button
            key={id}
            type="button"
            aria-pressed={way === id}
            onClick={() => {
              setWay(id);
              setMessage(null);
            }}
          >
            {name}
          </button>
        ))}
      </div>
      <div class="card">
        {/* Scan and picture add as soon as a code is read, so their options come first. */}
        {(way === 'scan' || way === 'image') && options}
        {way === 'scan' && (
          <QrCamera
            onText={fromText}
            prompt="Point the camera at the QR code the site shows."
            fallback="use a picture or paste the link"
          />
        )}
        {way === 'image' && (
          <QrPicture
            id="qr-image"
            label="Open a screenshot or photo of the QR code"
            notFound="No QR code was found in that picture. Crop it closer to the code, or paste the link."
            onText={fromText}
            onError={(text) => setMessage({ error: true, text })}
          />
        )}
        {way === 'link' && <Link key={round} onText={fromText} onEdit={editing} options={options} />}
        {way === 'manual' && (
          <Manual
            key={round}
            onEntry={(entry) =>
              add([entry]).catch((e: unknown) => {
                setMessage({ error: true, text: forScreen(e) });
                return false;
              })
            }
            onEdit={editing}
            options={options}
          />
        )}
        {message && (
          <p class={message.error ? 'error-text' : ''} role={message.error ? 'alert' : 'status'}>
            {message.text}
          </p>
        )}
      </div>
      <p>
        Moving from another app? <a href="#/files">Import its export file</a>.
      </p>
    </>
  );
}

function Link({
  onText,
  onEdit,
  options,
}: {
  onText(text: string): void;
  onEdit(): void;
  options: ComponentChildren;
}) {
  const [text, setText] = useState('');
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        onText(text);
      }}
    >
      <label for="uri">
        Setup link <span class="hint">starts with otpauth:// or otpauth-migration://</span>
      </label>
      <textarea
        id="uri"
        rows={3}
        value={text}
        autocomplete="off"
        spellcheck={false}
        onInput={(e) => {
          setText((e.target as HTMLTextAreaElement).value);
          onEdit();
        }}
      />
      {options}
      <div class="actions">
        <button type="submit" class="primary" disabled={text.trim() === ''}>
          Add
        </button>
      </div>
    </form>
  );
}

interface ManualFields {
  issuer: string;
  account: string;
  secret: string;
  type: OtpType;
  algorithm: Algorithm;
  digits: string;
  period: string;
  counter: string;
}

/** Validates the typed fields with the OTP engine; returns the entry or the failing field and why. */
function validate(fields: ManualFields): {
  entry: OtpEntry | null;
  field: string | null;
  reason: string | null;
} {
  if (fields.secret.trim() === '') return { entry: null, field: 'secret', reason: null };
  try {
    const entry = normalizeEntry({
      type: fields.type,
      issuer: fields.issuer.trim(),
      account: fields.account.trim(),
      secret: fields.secret,
      algorithm: fields.type === 'steam' ? undefined : fields.algorithm,
      digits: fields.type === 'steam' ? undefined : Number(fields.digits),
      period: fields.type === 'totp' ? Number(fields.period) : undefined,
      counter: fields.type === 'hotp' ? Number(fields.counter) : undefined,
    });
    if (!entry.issuer && !entry.account)
      return {
        entry: null,
        field: 'issuer',
        reason: 'give the issuer or the account, so you can tell this code apart',
      };
    return { entry, field: null, reason: null };
  } catch (e) {
    if (e instanceof OtpError) return { entry: null, field: e.field, reason: e.reason };
    throw e;
  }
}

function Manual({
  onEntry,
  onEdit,
  options,
}: {
  onEntry(entry: OtpEntry): Promise<boolean>;
  onEdit(): void;
  options: ComponentChildren;
}) {
  const [fields, setFields] = useState<ManualFields>({
    issuer: '',
    account: '',
    secret: '',
    type: 'totp',
    algorithm: 'SHA1',
    digits: '6',
    period: '30',
    counter: '0',
  });
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const result = validate(fields);
  const set = (name: keyof ManualFields) => (event: Event) => {
    setFields({ ...fields, [name]: (event.target as HTMLInputElement).value });
    setTouched(new Set(touched).add(name));
    onEdit();
  };
  const errorFor = (name: string) =>
    result.field === name && result.reason && touched.has(name) ? result.reason : null;
  const field = (name: keyof ManualFields, label: string, extra: Record<string, unknown> = {}) => {
    const error = errorFor(name);
    return (
      <div>
        <label for={`f-${name}`}>{label}</label>
        <input
          id={`f-${name}`}
          value={fields[name]}
          onInput={set(name)}
          aria-invalid={error ? 'true' : 'false'}
          aria-describedby={error ? `f-${name}-error` : undefined}
          {...extra}
        />
        {error && (
          <p class="error-text" id={`f-${name}-error`}>
            {label}: {error}
          </p>
        )}
      </div>
    );
  };
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        setTouched(new Set(['issuer', 'account', 'secret', 'digits', 'period', 'counter']));
        // After an add the form is replaced by an empty one (keyed by the add count).
        if (result.entry) await onEntry(result.entry);
      }}
    >
      <div class="grid2">
        {field('issuer', 'Issuer', { placeholder: 'Example: GitHub', autocomplete: 'off' })}
        {field('account', 'Account', { placeholder: 'you@example.com', autocomplete: 'off' })}
      </div>
      {field('secret', 'Secret key', {
        autocomplete: 'off',
        spellcheck: false,
        class: 'mono',
        placeholder: 'Base32, e.g. JBSW Y3DP EHPK 3PXP',
      })}
      <div class="grid2">
        <div>
          <label for="f-type">Type</label>
          <select id="f-type" value={fields.type} onChange={set('type')}>
            <option value="totp">Time-based (TOTP)</option>
            <option value="hotp">Counter-based (HOTP)</option>
            <option value="steam">Steam Guard</option>
          </select>
        </div>
        {fields.type !== 'steam' && (
          <div>
            <label for="f-algorithm">Algorithm</label>
            <select id="f-algorithm" value={fields.algorithm} onChange={set('algorithm')}>
              {ALGORITHMS.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </div>
        )}
        {fields.type !== 'steam' && field('digits', 'Digits', { inputMode: 'numeric' })}
        {fields.type === 'totp' && field('period', 'Period (seconds)', { inputMode: 'numeric' })}
        {fields.type === 'hotp' && field('counter', 'Counter', { inputMode: 'numeric' })}
      </div>
      {options}
      <div class="actions">
        <button type="submit" class="primary" disabled={!result.entry}>
          Add
        </button>
      </div>
    </form>
  );
}
