import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/**
 * The `MigrationPayload` message of Google Authenticator's "Transfer accounts" QR codes
 * (proto3, schema as in Aegis `google_auth.proto`). Encoded and decoded with the protobuf wire
 * reader/writer; unknown fields are skipped.
 */
export interface OtpParameters {
  secret: Uint8Array;
  name: string;
  issuer: string;
  /** 0 unspecified, 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5 */
  algorithm: number;
  /** 0 unspecified, 1 six, 2 eight */
  digits: number;
  /** 0 unspecified, 1 HOTP, 2 TOTP */
  type: number;
  counter: bigint;
}

export interface MigrationPayload {
  otpParameters: OtpParameters[];
  version: number;
  batchSize: number;
  batchIndex: number;
  batchId: number;
}

function decodeParameters(bytes: Uint8Array): OtpParameters {
  const r = new BinaryReader(bytes);
  const p: OtpParameters = {
    secret: new Uint8Array(),
    name: '',
    issuer: '',
    algorithm: 0,
    digits: 0,
    type: 0,
    counter: 0n,
  };
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1 && wt === WireType.LengthDelimited) p.secret = r.bytes();
    else if (no === 2 && wt === WireType.LengthDelimited) p.name = r.string();
    else if (no === 3 && wt === WireType.LengthDelimited) p.issuer = r.string();
    else if (no === 4 && wt === WireType.Varint) p.algorithm = r.int32();
    else if (no === 5 && wt === WireType.Varint) p.digits = r.int32();
    else if (no === 6 && wt === WireType.Varint) p.type = r.int32();
    else if (no === 7 && wt === WireType.Varint) p.counter = BigInt(r.int64());
    else r.skip(wt, no);
  }
  return p;
}

/** Decodes a payload; throws on malformed protobuf (the caller turns that into a `damaged` error). */
export function decodeMigrationPayload(bytes: Uint8Array, maxEntries: number): MigrationPayload {
  const r = new BinaryReader(bytes);
  const out: MigrationPayload = { otpParameters: [], version: 0, batchSize: 0, batchIndex: 0, batchId: 0 };
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1 && wt === WireType.LengthDelimited) {
      if (out.otpParameters.length >= maxEntries) throw new Error(`more than ${maxEntries} entries`);
      out.otpParameters.push(decodeParameters(r.bytes()));
    } else if (no === 2 && wt === WireType.Varint) out.version = r.int32();
    else if (no === 3 && wt === WireType.Varint) out.batchSize = r.int32();
    else if (no === 4 && wt === WireType.Varint) out.batchIndex = r.int32();
    else if (no === 5 && wt === WireType.Varint) out.batchId = r.int32();
    else r.skip(wt, no);
  }
  return out;
}

export function encodeMigrationPayload(payload: MigrationPayload): Uint8Array {
  const w = new BinaryWriter();
  for (const p of payload.otpParameters) {
    w.tag(1, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited).bytes(p.secret);
    w.tag(2, WireType.LengthDelimited).string(p.name);
    w.tag(3, WireType.LengthDelimited).string(p.issuer);
    w.tag(4, WireType.Varint).int32(p.algorithm);
    w.tag(5, WireType.Varint).int32(p.digits);
    w.tag(6, WireType.Varint).int32(p.type);
    if (p.counter !== 0n) w.tag(7, WireType.Varint).int64(p.counter);
    w.join();
  }
  w.tag(2, WireType.Varint).int32(payload.version);
  w.tag(3, WireType.Varint).int32(payload.batchSize);
  w.tag(4, WireType.Varint).int32(payload.batchIndex);
  w.tag(5, WireType.Varint).int32(payload.batchId);
  return w.finish();
}

export const MIGRATION_PREFIX = 'otpauth-migration://offline?data=';
