/**
 * The page of a time-limited code link (docs/PROTOCOL.md §9): reads the id and key from the URL
 * fragment, fetches the sealed codes, opens them here and shows the code of the moment with its
 * countdown until the window ends. It loads none of the vault: only the codes were ever shared.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  currentShareCode,
  openShare,
  parseShareLink,
  ShareError,
  type SharePayload,
} from '@tessera/vault/share';
import { CLIENT_HEADER } from '@tessera/protocol';
import { keychainServer } from './app/server-url.js';
import './styles.css';

type State =
  { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'open'; payload: SharePayload };

async function load(): Promise<SharePayload> {
  const { id, key } = parseShareLink(location.hash);
  // The key never leaves the fragment; the server sees only the id.
  const response = await fetch(`${keychainServer()}/v1/shares?id=${encodeURIComponent(id)}`, {
    headers: { [CLIENT_HEADER]: `tessera-web/${__APP_VERSION__}` },
  });
  if (response.status === 404 || response.status === 410)
    throw new ShareError('This link has expired or was withdrawn. Ask for a new one.');
  if (!response.ok) throw new ShareError(`The server could not give the codes (HTTP ${response.status}).`);
  const { ciphertext, expiresAt } = (await response.json()) as { ciphertext: string; expiresAt: number };
  return openShare({ id, key, ciphertext, expiresAt });
}

function SharePage() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const [now, setNow] = useState(() => Date.now() / 1000);
  useEffect(() => {
    load().then(
      (payload) => setState({ kind: 'open', payload }),
      (err: Error) =>
        setState({
          kind: 'error',
          message: err instanceof ShareError ? err.message : 'The codes could not be loaded.',
        }),
    );
    const timer = setInterval(() => setNow(Date.now() / 1000), 1000);
    return () => clearInterval(timer);
  }, []);
  if (state.kind === 'loading') return <p aria-busy="true">Opening the shared codes…</p>;
  if (state.kind === 'error') return <p role="alert">{state.message}</p>;
  const { payload } = state;
  const current = currentShareCode(payload, now);
  return (
    <main class="card">
      <h1>{payload.issuer || payload.account}</h1>
      {payload.issuer && <p class="hint">{payload.account}</p>}
      {current ? (
        <>
          <p class="big-code mono" data-testid="shared-code" aria-live="polite">
            {current.code}
          </p>
          <p class="hint" data-testid="seconds-left">
            Changes in {current.secondsLeft} s. This link works until{' '}
            {new Date(payload.expiresAt * 1000).toLocaleTimeString()}.
          </p>
        </>
      ) : (
        <p role="alert" data-testid="expired">
          This link has expired. Ask for a new one.
        </p>
      )}
      <p class="hint">
        Shared with Tessera: this page holds only these codes, never the key that makes them.
      </p>
    </main>
  );
}

render(<SharePage />, document.getElementById('app')!);
