import { useState } from 'preact/hooks';
import { forScreen } from '../app/words.js';

/** Runs one async action at a time and keeps its error message for display. */
export function useBusy() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(forScreen(e));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}
