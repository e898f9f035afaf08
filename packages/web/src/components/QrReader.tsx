import { useEffect, useRef, useState } from 'preact/hooks';
import { readQrFromImage, readQrFromVideo } from '../platform/qr.js';

/**
 * The two ways the app reads a QR code: a camera preview (Add a code, the safety-number check) and
 * an opened or pasted picture. Both hand the text they found to `onText`; what it means is the
 * caller's business.
 */

/** Camera preview that reads QR codes a few times a second until one is found. */
export function QrCamera(props: {
  onText(text: string): void;
  /** Shown once the camera runs: what to point it at. */
  prompt: string;
  /** The other way, when no camera opens: "use a picture or link". */
  fallback: string;
}) {
  const { onText, prompt, fallback } = props;
  const video = useRef<HTMLVideoElement>(null);
  const [status, setStatus] = useState('Starting the camera…');
  useEffect(() => {
    let stream: MediaStream | null = null;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const look = async () => {
      if (stopped || !video.current) return;
      try {
        const text = await readQrFromVideo(video.current);
        if (text && !stopped) {
          stopped = true;
          setStatus('Found a code.');
          onText(text);
          return;
        }
      } catch {
        // A frame that cannot be read is normal while the camera focuses.
      }
      timer = setTimeout(look, 250);
    };
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: 'environment' }, audio: false })
      .then(async (s) => {
        stream = s;
        if (stopped) return s.getTracks().forEach((t) => t.stop());
        video.current!.srcObject = s;
        await video.current!.play();
        setStatus(prompt);
        void look();
      })
      .catch((e: Error) =>
        setStatus(
          e.name === 'NotAllowedError'
            ? `The camera is blocked for this site. Allow it in the browser’s site settings, or ${fallback}.`
            : `No camera could be opened. ${fallback[0]!.toUpperCase()}${fallback.slice(1)} instead.`,
        ),
      );
    return () => {
      stopped = true;
      clearTimeout(timer);
      stream?.getTracks().forEach((t) => t.stop());
    };
  }, []);
  return (
    <>
      <video ref={video} class="video" muted playsInline aria-label="Camera preview" />
      <p role="status">{status}</p>
    </>
  );
}

/** Open or paste a screenshot or photo of a QR code. */
export function QrPicture(props: {
  /** Unique id of the file input (two readers may be on one page). */
  id: string;
  label: string;
  onText(text: string): void;
  onError(text: string): void;
  /** What to suggest when the picture holds no QR code. */
  notFound: string;
}) {
  const read = async (blob: Blob | null | undefined) => {
    if (!blob) return;
    try {
      const text = await readQrFromImage(blob);
      if (text) props.onText(text);
      else props.onError(props.notFound);
    } catch {
      props.onError('That file could not be opened as a picture (PNG, JPEG, WebP or GIF).');
    }
  };
  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const item = [...(event.clipboardData?.items ?? [])].find((i) => i.type.startsWith('image/'));
      if (item) {
        event.preventDefault();
        void read(item.getAsFile());
      }
    };
    document.addEventListener('paste', onPaste);
    return () => document.removeEventListener('paste', onPaste);
  }, []);
  return (
    <div class="drop">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="file"
        accept="image/*"
        onChange={(e) => void read((e.target as HTMLInputElement).files?.[0])}
      />
      <p class="hint">Or copy a picture and paste it here (Ctrl+V or long-press → Paste).</p>
    </div>
  );
}
