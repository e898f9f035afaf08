import { formatUri, type OtpEntry } from '@tessera/otp';
import type { ExportResult } from '../types.js';
import { utf8 } from '../util/text.js';
import { qrPngDataUrl } from './qr.js';

/**
 * A printable sheet: one QR code per entry (its otpauth URI) with the details needed to type it in
 * by hand. Self-contained: images are data: URLs, styles inline, no scripts or external resources.
 */
function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** The secret in groups of four, easier to type from paper. */
function grouped(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

async function card(entry: OtpEntry): Promise<string> {
  const title = escapeHtml(entry.issuer || entry.account || '(unnamed)');
  const account = entry.issuer && entry.account ? `<p class="account">${escapeHtml(entry.account)}</p>` : '';
  const kind =
    entry.type === 'hotp'
      ? `HOTP, counter ${entry.counter}`
      : entry.type === 'steam'
        ? 'Steam Guard'
        : `TOTP, every ${entry.period} s`;
  const src = await qrPngDataUrl(formatUri(entry), 4);
  return `<section class="card">
<img src="${src}" alt="QR code for ${title}" width="164" height="164">
<div><h2>${title}</h2>${account}
<p class="meta">${escapeHtml(kind)} · ${entry.algorithm} · ${entry.digits} ${entry.type === 'steam' ? 'characters' : 'digits'}</p>
<p class="secret"><code>${grouped(entry.secret)}</code></p></div>
</section>`;
}

export async function exportHtml(entries: OtpEntry[]): Promise<ExportResult> {
  const cards: string[] = [];
  for (const entry of entries) cards.push(await card(entry));
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Tessera codes (keep this private)</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#111}
h1{font-size:1.3rem}.warn{border:2px solid #b00;padding:.5rem 1rem}
.card{display:flex;gap:1rem;align-items:center;border:1px solid #999;padding:.75rem;margin:.75rem 0;break-inside:avoid;page-break-inside:avoid}
.card img{image-rendering:pixelated}.card h2{font-size:1.1rem;margin:0}.account{margin:.2rem 0}
.meta{color:#444;margin:.2rem 0}.secret code{font-size:1rem;letter-spacing:.05em}
@media print{body{margin:0}.warn{border-color:#000}}
</style>
</head>
<body>
<h1>Two-factor codes exported from Tessera</h1>
<p class="warn">Anyone holding this sheet can generate your codes. Print it, store it somewhere safe, and delete the file.</p>
${cards.join('\n')}
</body>
</html>
`;
  return { files: [{ name: 'tessera-codes.html', mime: 'text/html', bytes: utf8(html) }], text: html };
}
