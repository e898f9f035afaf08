import { damaged, passwordRequired, tooLarge, wrongPassword, type FormatContext } from './errors.js';
import { LIMITS } from './limits.js';

/**
 * ZIP containers (Raivo, Authenticator Plus, Proton Pass). Detection lists entry names synchronously
 * from the central directory (APPNOTE.TXT §4.3.12, §4.3.16) because detect() cannot await; reading an
 * entry uses zip.js, which handles Deflate, ZipCrypto and WinZip AES.
 */

/** Most entries looked at when listing names; the exports we read hold one to three. */
const MAX_LISTED = 1000;
/** Largest single entry extracted, whatever its header claims (zip bombs lie). */
const MAX_ENTRY_BYTES = 16 * 1024 * 1024;

/**
 * Names of the entries of a ZIP file, read from its central directory; [] when the bytes are not a
 * readable ZIP. Never throws.
 */
export function zipEntryNames(bytes: Uint8Array): string[] {
  if (bytes.length < 22 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // End of central directory record: signature 0x06054b50, found scanning back over the comment (≤ 64 KiB).
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return [];
  const count = Math.min(view.getUint16(eocd + 10, true), MAX_LISTED);
  let pos = view.getUint32(eocd + 16, true);
  const names: string[] = [];
  const decoder = new TextDecoder();
  for (let n = 0; n < count; n++) {
    if (pos + 46 > bytes.length || view.getUint32(pos, true) !== 0x02014b50) break;
    const nameLength = view.getUint16(pos + 28, true);
    const extraLength = view.getUint16(pos + 30, true);
    const commentLength = view.getUint16(pos + 32, true);
    if (pos + 46 + nameLength > bytes.length) break;
    names.push(decoder.decode(bytes.subarray(pos + 46, pos + 46 + nameLength)));
    pos += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

/** Whether a ZIP holds an entry whose name (or its last path part) is `name`. */
export function zipHas(bytes: Uint8Array, name: string): boolean {
  return zipEntryNames(bytes).some((n) => n === name || n.endsWith(`/${name}`));
}

function errorCode(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Extracts one entry (matched by full name or last path part) from a ZIP given as bytes, at most
 * MAX_ENTRY_BYTES of it. Encrypted entries need `password` (else `password-required`); a wrong one is
 * `wrong-password`.
 * Returns null when no entry has that name.
 */
export async function readZipEntry(
  ctx: FormatContext,
  bytes: Uint8Array,
  opts: { name: string; password?: string },
): Promise<{ data: Uint8Array; encrypted: boolean } | null> {
  if (bytes.length > LIMITS.maxFileBytes)
    throw tooLarge(ctx, `file larger than ${LIMITS.maxFileBytes} bytes`);
  const zip = await import('@zip.js/zip.js');
  const reader = new zip.ZipReader(new zip.Uint8ArrayReader(bytes), { useWebWorkers: false });
  try {
    let entries: Awaited<ReturnType<typeof reader.getEntries>>;
    try {
      entries = await reader.getEntries();
    } catch (err) {
      throw damaged(ctx, `not a readable ZIP archive (${errorCode(err)})`);
    }
    const entry = entries.find((e) => e.filename === opts.name || e.filename.endsWith(`/${opts.name}`));
    if (!entry || entry.directory) return null;
    if (entry.uncompressedSize > MAX_ENTRY_BYTES) {
      throw tooLarge(ctx, `${entry.filename} is ${entry.uncompressedSize} bytes (limit ${MAX_ENTRY_BYTES})`);
    }
    if (entry.encrypted && (opts.password === undefined || opts.password === '')) throw passwordRequired(ctx);
    const chunks: Uint8Array[] = [];
    let total = 0;
    const sink = new WritableStream<Uint8Array>({
      write(chunk) {
        total += chunk.length;
        if (total > MAX_ENTRY_BYTES)
          throw tooLarge(ctx, `${entry.filename} inflates past ${MAX_ENTRY_BYTES} bytes`);
        chunks.push(chunk);
      },
    });
    try {
      await entry.getData(sink, entry.encrypted ? { password: opts.password } : {});
    } catch (err) {
      if (err instanceof Error && err.name === 'FormatError') throw err;
      const message = errorCode(err);
      // ZipCrypto checks one byte of the password, so a wrong one may also surface as bad data or CRC.
      if (
        entry.encrypted &&
        (message === zip.ERR_INVALID_PASSWORD ||
          message === zip.ERR_INVALID_AUTHENTICATION_CODE ||
          message === zip.ERR_INVALID_CRC32 ||
          message === zip.ERR_INVALID_COMPRESSED_DATA ||
          message === zip.ERR_INVALID_UNCOMPRESSED_SIZE ||
          /invalid|incorrect|corrupt/i.test(message))
      ) {
        throw wrongPassword(ctx);
      }
      throw damaged(ctx, `cannot extract ${entry.filename} (${message})`);
    }
    const data = new Uint8Array(total);
    let offset = 0;
    for (const c of chunks) {
      data.set(c, offset);
      offset += c.length;
    }
    return { data, encrypted: entry.encrypted };
  } finally {
    await reader.close();
  }
}
