import { useEffect, useState } from 'preact/hooks';
import type { App, ExportFormat, ImportOutcome } from '../app/controller.js';
import { useStore } from '../app/store.js';
import { ErrorText } from '../components/Field.js';
import { forScreen } from '../app/words.js';

/** The export formats the formats package writes, with what each is for. */
const EXPORTS = [
  {
    id: 'tessera',
    name: 'Tessera backup (encrypted)',
    needsPassword: true,
    hint: 'Restores everything into Tessera, protected by a password.',
  },
  {
    id: 'aegis-encrypted',
    format: 'aegis',
    name: 'Aegis vault (encrypted)',
    needsPassword: true,
    hint: 'Opens in Aegis, protected by a password.',
  },
  {
    id: 'aegis',
    name: 'Aegis (JSON)',
    needsPassword: false,
    hint: 'Opens in Aegis and many other apps. Not encrypted.',
  },
  {
    id: 'otpauth',
    name: 'otpauth:// links (text)',
    needsPassword: false,
    hint: 'One link per line; most apps import it. Not encrypted.',
  },
  {
    id: 'google-qr',
    name: 'Google Authenticator QR codes',
    needsPassword: false,
    hint: 'Pictures to scan with Google Authenticator. Not encrypted.',
  },
  {
    id: 'html',
    name: 'Printable page with QR codes',
    needsPassword: false,
    hint: 'A page to print and keep somewhere safe. Not encrypted.',
  },
  {
    id: 'cxf',
    name: 'Credential Exchange Format (CXF, JSON)',
    needsPassword: false,
    hint: 'The FIDO Alliance standard password managers read. Time-based codes only. Not encrypted.',
  },
] as const;
type ExportChoice = (typeof EXPORTS)[number]['id'];

/** Import another app's export file; export to every supported format. */
export function Files({ app }: { app: App }) {
  return (
    <>
      <h1>Import and export</h1>
      <Import app={app} />
      <Export app={app} />
    </>
  );
}

function Import({ app }: { app: App }) {
  const [files, setFiles] = useState<File[]>([]);
  const [password, setPassword] = useState('');
  const [needsPassword, setNeedsPassword] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<ImportOutcome | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [formats, setFormats] = useState<string[]>([]);

  useEffect(() => {
    void import('../platform/formats.js').then((f) => setFormats(f.listFormats().map((x) => x.name)));
  }, []);

  const run = async (event?: Event) => {
    event?.preventDefault();
    if (files.length === 0) return;
    setBusy(true);
    setError(null);
    setOutcome(null);
    try {
      const result = await app.importFiles(files, needsPassword ? password : undefined);
      if (result.kind === 'password-required' || result.kind === 'wrong-password') {
        setNeedsPassword(true);
        setError(
          result.kind === 'wrong-password'
            ? 'That password does not open the file, or the file was altered. Check the password and try again.'
            : null,
        );
      } else {
        setOutcome(result);
        setNeedsPassword(false);
        setPassword('');
      }
    } catch (e) {
      setError(forScreen(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="import-title">
      <h2 id="import-title">Import from another app</h2>
      <form onSubmit={run}>
        <label for="import-file">
          Export file{' '}
          <span class="hint">
            Tessera recognises the format; pick several files for a multi-part Google export
          </span>
        </label>
        <input
          id="import-file"
          type="file"
          multiple
          onChange={(e) => {
            setFiles([...((e.target as HTMLInputElement).files ?? [])]);
            setNeedsPassword(false);
            setOutcome(null);
            setError(null);
          }}
        />
        {needsPassword && (
          <>
            <label for="import-password">
              Password of the file <span class="hint">the one you set when exporting from the other app</span>
            </label>
            <input
              id="import-password"
              type="password"
              autocomplete="off"
              value={password}
              onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
              autofocus
            />
          </>
        )}
        <div class="actions">
          <button type="submit" class="primary" disabled={files.length === 0 || busy}>
            {busy ? 'Importing…' : 'Import'}
          </button>
        </div>
      </form>
      <ErrorText error={error} />
      {outcome && outcome.kind === 'done' && (
        <div role="status">
          <p>
            Imported {outcome.added} code{outcome.added === 1 ? '' : 's'} from {outcome.format}
            {outcome.duplicates > 0
              ? `; ${outcome.duplicates} ${outcome.duplicates === 1 ? 'was' : 'were'} already here`
              : ''}
            .
          </p>
          {outcome.skipped.length > 0 && (
            <>
              <p>These could not be imported:</p>
              <ul>
                {outcome.skipped.map((s, i) => (
                  <li key={i}>{s}</li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
      {formats.length > 0 && (
        <details>
          <summary>Supported apps and files</summary>
          <p class="hint">{formats.join(', ')}.</p>
        </details>
      )}
    </section>
  );
}

function Export({ app }: { app: App }) {
  const state = useStore(app.store);
  const [format, setFormat] = useState<ExportChoice>('tessera');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const chosen = EXPORTS.find((e) => e.id === format)!;
  const target = ('format' in chosen ? chosen.format : chosen.id) as ExportFormat;
  const [computed, setLimits] = useState<{
    target: ExportFormat;
    list: { label: string; reason: string }[];
  } | null>(null);
  const [qrImages, setQrImages] = useState<string[] | null>(null);
  // Recomputed whenever the format or the entries change, so the list is right before saving.
  useEffect(() => {
    let live = true;
    setLimits(null);
    setQrImages(null);
    void app.exportLimits(target).then((list) => live && setLimits({ target, list }));
    return () => {
      live = false;
    };
  }, [app, target, state.entries]);
  // Only the list of the format chosen: the effect clears the old one a render after the format
  // changed, and that render showed the old format's notice under the new one.
  const limits = computed?.target === target ? computed.list : null;
  const carried = state.entries.length - (limits?.length ?? 0);
  const mismatch = chosen.needsPassword && confirm !== '' && password !== confirm;
  return (
    <section class="card" aria-labelledby="export-title">
      <h2 id="export-title">Export</h2>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          setDone(null);
          try {
            const names = await app.exportAs(target, chosen.needsPassword ? password : undefined);
            setDone(`Saved ${names.join(', ')}.`);
            setPassword('');
            setConfirm('');
          } catch (err) {
            setError(forScreen(err));
          }
        }}
      >
        <label for="export-format">Format</label>
        <select
          id="export-format"
          value={format}
          onChange={(e) => setFormat((e.target as HTMLSelectElement).value as ExportChoice)}
        >
          {EXPORTS.map((x) => (
            <option key={x.id} value={x.id}>
              {x.name}
            </option>
          ))}
        </select>
        <p class="hint">{chosen.hint}</p>
        {limits && limits.length > 0 && (
          <div class="notice" role="note" aria-labelledby="export-limits-title">
            <p id="export-limits-title">
              <strong>
                {limits.length} code{limits.length === 1 ? '' : 's'} will not be exported in this format:
              </strong>
            </p>
            <ul class="export-limits">
              {limits.map((l, i) => (
                <li key={i}>
                  <span class="export-limit-label">{l.label}</span>: {l.reason}
                </li>
              ))}
            </ul>
            <p>A Tessera backup carries every code.</p>
            <button type="button" onClick={() => setFormat('tessera')}>
              Use a Tessera backup instead
            </button>
          </div>
        )}
        {chosen.needsPassword && (
          <div class="grid2">
            <div>
              <label for="export-password">Password for the file</label>
              <input
                id="export-password"
                type="password"
                autocomplete="new-password"
                value={password}
                onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
              />
            </div>
            <div>
              <label for="export-confirm">Same password again</label>
              <input
                id="export-confirm"
                type="password"
                autocomplete="new-password"
                value={confirm}
                aria-invalid={mismatch ? 'true' : 'false'}
                onInput={(e) => setConfirm((e.target as HTMLInputElement).value)}
              />
            </div>
          </div>
        )}
        {mismatch && <p class="error-text">The two passwords differ.</p>}
        <div class="actions">
          <button
            type="submit"
            class="primary"
            disabled={carried <= 0 || (chosen.needsPassword && (password === '' || password !== confirm))}
          >
            Export {carried} code{carried === 1 ? '' : 's'}
          </button>
          {format === 'google-qr' && (
            <button
              type="button"
              disabled={carried <= 0}
              onClick={async () => {
                setError(null);
                try {
                  setQrImages(await app.googleQrImages());
                } catch (err) {
                  setError(forScreen(err));
                }
              }}
            >
              Show QR codes on screen
            </button>
          )}
        </div>
      </form>
      {qrImages && (
        <div class="qr-transfer" aria-label="QR codes to scan">
          <p class="hint">
            In Google Authenticator, choose Transfer accounts, then Import accounts, and scan each code in
            turn.
          </p>
          {qrImages.map((src, i) => (
            <figure key={i}>
              <img src={src} alt={`Transfer code ${i + 1} of ${qrImages.length}`} />
              <figcaption>
                Code {i + 1} of {qrImages.length}
              </figcaption>
            </figure>
          ))}
          <button type="button" onClick={() => setQrImages(null)}>
            Hide QR codes
          </button>
        </div>
      )}
      <ErrorText error={error} />
      {done && <p role="status">{done}</p>}
    </section>
  );
}
