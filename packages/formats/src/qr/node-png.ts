/**
 * NODE ONLY. PNG decoding with pngjs, which needs Node's zlib, streams and Buffer. image.ts loads this
 * module only where no browser canvas exists, and the import of pngjs is hidden from bundlers (a
 * computed specifier) so the web build never pulls Node built-ins in.
 */
import type { RgbaImage } from './image.js';

interface PngjsModule {
  PNG: { sync: { read(buffer: Uint8Array): { width: number; height: number; data: Uint8Array } } };
}
interface BufferLike {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): Uint8Array;
}

const PNGJS = 'pngjs';

export async function decodePngWithPngjs(bytes: Uint8Array): Promise<RgbaImage> {
  const mod = (await import(/* @vite-ignore */ PNGJS)) as PngjsModule & { default?: PngjsModule };
  const { PNG } = mod.default ?? mod;
  // pngjs reads with Buffer methods; wrap the same memory, no copy.
  const NodeBuffer = (globalThis as unknown as { Buffer: BufferLike }).Buffer;
  const png = PNG.sync.read(NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return {
    width: png.width,
    height: png.height,
    data: new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length),
  };
}
