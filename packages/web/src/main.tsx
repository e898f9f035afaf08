import { render } from 'preact';
import { missingFeatures } from './support.js';
import { App } from './app/controller.js';
import { readStart } from './platform/start-read.js';
import { Shell } from './app/App.js';
import './styles.css';

const root = document.getElementById('app')!;

async function boot(): Promise<void> {
  const missing = missingFeatures();
  if (missing.length > 0) {
    const { Unsupported } = await import('./screens/Unsupported.js');
    render(<Unsupported missing={missing} />, root);
    return;
  }
  // IndexedDB opens and the start read (settings, keys, vault file) begins before the first render.
  const early = readStart();
  early.catch(() => undefined);
  const app = new App();
  render(<Shell app={app} />, root);
  try {
    await app.start(early);
  } catch (err) {
    app.store.set({
      phase: 'fatal',
      fatal: `Tessera could not open its storage in this browser: ${(err as Error).message}`,
    });
  }
  if ('serviceWorker' in navigator && import.meta.env.PROD) {
    // After the codes show, so installing the offline copy never competes with the first paint.
    setTimeout(
      () => void navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => undefined),
      500,
    );
  }
}

void boot();
