import { useEffect, useState } from 'preact/hooks';
import { cameraAvailable } from '../platform/qr.js';
import { QrCamera, QrPicture } from './QrReader.js';
import { safetyWords } from '../app/words.js';

/** The digits of a safety number, whatever spacing it was shown or scanned with. */
export function safetyDigits(text: string): string {
  return text.replace(/\s+/g, '');
}

type Scan = 'off' | 'camera' | 'picture';

/**
 * The safety number two accounts compare before an invite counts (docs/PROTOCOL.md §12.5): the 12
 * groups of 5 digits, the same number as a QR code for the other person to scan, and a scan of
 * theirs that compares on its own. Both sides compute the same number, so the QR holds just it.
 */
export function SafetyNumber(props: {
  /** The number from `safetyNumber` (12 groups of 5 digits, space-separated). */
  number: string;
  /** Who it is compared with, e.g. their email. */
  peer: string;
  /** The number as a QR code image (the app's QR renderer). */
  qrImage(text: string): Promise<string>;
  onMatch(): void;
  onMismatch(): void;
}) {
  const [qr, setQr] = useState<string | null>(null);
  const [scan, setScan] = useState<Scan>('off');
  const [result, setResult] = useState<{ match: boolean; text: string } | null>(null);
  useEffect(() => {
    let live = true;
    void props.qrImage(props.number).then((src) => live && setQr(src));
    return () => {
      live = false;
    };
  }, [props.number]);

  const compare = (text: string) => {
    setScan('off');
    if (safetyDigits(text) === safetyDigits(props.number)) {
      setResult({ match: true, text: safetyWords.scannedMatch });
      props.onMatch();
    } else setResult({ match: false, text: safetyWords.scannedMismatch(props.peer) });
  };
  const groups = props.number.split(' ');

  return (
    <section class="safety" aria-label={safetyWords.title(props.peer)}>
      <p class="hint">{safetyWords.intro(props.peer)}</p>
      <div class="safety-body">
        <p
          class="safety-number mono"
          data-testid="safety-number"
          aria-label={`Safety number: ${groups.join(', ')}`}
        >
          {groups.map((g, i) => (
            <span key={i}>{g}</span>
          ))}
        </p>
        {qr && <img class="safety-qr" src={qr} alt={safetyWords.qrAlt} data-testid="safety-qr" />}
      </div>
      {result && (
        <p class={result.match ? '' : 'error-text'} role={result.match ? 'status' : 'alert'}>
          {result.text}
        </p>
      )}
      <div class="actions">
        <button type="button" class="primary" onClick={props.onMatch}>
          {safetyWords.match}
        </button>
        <button type="button" class="danger" onClick={props.onMismatch}>
          {safetyWords.mismatch}
        </button>
      </div>
      <div class="tabs" role="group" aria-label={safetyWords.scanGroup}>
        {cameraAvailable() && (
          <button type="button" aria-pressed={scan === 'camera'} onClick={() => setScan('camera')}>
            {safetyWords.scanCamera}
          </button>
        )}
        <button type="button" aria-pressed={scan === 'picture'} onClick={() => setScan('picture')}>
          {safetyWords.scanPicture}
        </button>
      </div>
      {scan === 'camera' && (
        <QrCamera onText={compare} prompt={safetyWords.cameraPrompt} fallback={safetyWords.cameraFallback} />
      )}
      {scan === 'picture' && (
        <QrPicture
          id="safety-qr-image"
          label={safetyWords.pictureLabel}
          notFound={safetyWords.pictureNotFound}
          onText={compare}
          onError={(text) => setResult({ match: false, text })}
        />
      )}
    </section>
  );
}
