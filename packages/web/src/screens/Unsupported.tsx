import type { MissingFeature } from '../support.js';

/** Shown instead of the app when the browser lacks something Tessera cannot work without. */
export function Unsupported({ missing }: { missing: MissingFeature[] }) {
  const onlyHttps = missing.length === 1 && missing[0]!.id === 'secure-context';
  return (
    <main id="main">
      <div class="card" role="alert">
        <h1>Tessera can’t run in this browser</h1>
        <p>To keep your codes safe, Tessera needs a few things this browser does not offer here:</p>
        <ul>
          {missing.map((feature) => (
            <li key={feature.id}>
              <strong>{feature.what}.</strong> {feature.why}
            </li>
          ))}
        </ul>
        {onlyHttps ? (
          <p>
            Open this page with an address that starts with <strong>https://</strong>, or ask whoever runs
            this server to turn on https.
          </p>
        ) : (
          <p>
            Try a current version of Firefox, Chrome, Edge or Safari in a normal (not private) window. Your
            codes are not affected: nothing was stored.
          </p>
        )}
      </div>
    </main>
  );
}
