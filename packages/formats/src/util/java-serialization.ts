/**
 * A minimal, bounded reader for the Java Object Serialization Stream Protocol (Java SE "Object
 * Serialization Specification" §6.4 grammar), enough for FreeOTP v2's `externalBackup.xml`, which is
 * a serialized `java.util.HashMap<String, String>` despite its name.
 *
 * Hand-written because no maintained JavaScript library reads this protocol; the few npm packages
 * that try are unmaintained and build arbitrary object graphs. This one reads only plain objects,
 * strings, block data, references and null, refuses everything else (arrays, enums, classes, proxies,
 * exceptions), and caps nesting depth, handle, field and annotation counts so hostile input fails fast with a
 * `JavaSerializationError` naming the byte offset.
 */

const MAGIC = 0xaced;
const VERSION = 5;
const BASE_HANDLE = 0x7e0000;

const TC_NULL = 0x70;
const TC_REFERENCE = 0x71;
const TC_CLASSDESC = 0x72;
const TC_OBJECT = 0x73;
const TC_STRING = 0x74;
const TC_BLOCKDATA = 0x77;
const TC_ENDBLOCKDATA = 0x78;
const TC_BLOCKDATALONG = 0x7a;
const TC_LONGSTRING = 0x7c;

const UNSUPPORTED: Record<number, string> = {
  0x75: 'an array',
  0x76: 'a class object',
  0x79: 'a stream reset',
  0x7b: 'an exception',
  0x7d: 'a proxy class',
  0x7e: 'an enum',
};

/** classDescFlags bits (§6.4.2). */
const SC_WRITE_METHOD = 0x01;
const SC_SERIALIZABLE = 0x02;
const SC_EXTERNALIZABLE = 0x04;

export const JAVA_LIMITS = {
  maxDepth: 16,
  maxHandles: 100_000,
  maxFields: 256,
  /** Items a writeObject method may write after its fields (a HashMap: two per entry, plus its size block). */
  maxAnnotations: 100_000,
} as const;

export class JavaSerializationError extends Error {
  override readonly name = 'JavaSerializationError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
  }
}

export interface JavaField {
  /** Type code: B C D F I J S Z for primitives, L or [ for references. */
  type: string;
  name: string;
}

export interface JavaClassDesc {
  kind: 'classdesc';
  name: string;
  flags: number;
  fields: JavaField[];
  superDesc: JavaClassDesc | null;
}

/** A value in the stream. Primitive field values keep their Java meaning (long as bigint). */
export type JavaValue = string | null | JavaObject | number | bigint | boolean;

export interface JavaObject {
  kind: 'object';
  className: string;
  /** Field values of every serializable class in the hierarchy, by field name. */
  fields: Map<string, JavaValue>;
  /** What the classes' writeObject methods wrote after their fields: block data and objects. */
  annotations: (JavaValue | Uint8Array)[];
}

type Handle = string | JavaObject | JavaClassDesc;

/**
 * Decodes Java's "modified UTF-8" (DataInput.readUTF): like UTF-8, but NUL is C0 80 and characters
 * beyond U+FFFF are two 3-byte surrogates. TextDecoder rejects both forms, hence this decoder.
 */
function decodeModifiedUtf8(bytes: Uint8Array, offset: number): string {
  const units: number[] = [];
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const a = bytes[i]!;
    if (a < 0x80) {
      units.push(a);
      i += 1;
    } else if ((a & 0xe0) === 0xc0 && i + 1 < bytes.length && (bytes[i + 1]! & 0xc0) === 0x80) {
      units.push(((a & 0x1f) << 6) | (bytes[i + 1]! & 0x3f));
      i += 2;
    } else if (
      (a & 0xf0) === 0xe0 &&
      i + 2 < bytes.length &&
      (bytes[i + 1]! & 0xc0) === 0x80 &&
      (bytes[i + 2]! & 0xc0) === 0x80
    ) {
      units.push(((a & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f));
      i += 3;
    } else {
      throw new JavaSerializationError('invalid modified UTF-8 in a string', offset + i);
    }
    if (units.length >= 4096) {
      out += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return out + String.fromCharCode(...units);
}

class StreamReader {
  private pos = 0;
  private readonly view: DataView;
  private readonly handles: Handle[] = [];
  private depth = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.pos;
  }

  fail(message: string, at = this.pos): never {
    throw new JavaSerializationError(message, at);
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.length)
      this.fail(`unexpected end of data (needed ${n} more bytes)`);
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  peek(): number {
    this.need(1);
    return this.bytes[this.pos]!;
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  i64(): bigint {
    this.need(8);
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return v;
  }

  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  utf(longForm = false): string {
    const start = this.pos;
    let length: number;
    if (longForm) {
      const big = this.i64();
      if (big < 0n || big > BigInt(this.bytes.length)) this.fail('string length larger than the data', start);
      length = Number(big);
    } else length = this.u16();
    return decodeModifiedUtf8(this.take(length), start);
  }

  private newHandle(value: Handle): void {
    if (this.handles.length >= JAVA_LIMITS.maxHandles)
      this.fail(`more than ${JAVA_LIMITS.maxHandles} objects`);
    this.handles.push(value);
  }

  private reference(): Handle {
    const at = this.pos;
    const handle = this.i32() - BASE_HANDLE;
    const value = this.handles[handle];
    if (handle < 0 || value === undefined) this.fail('reference to an unknown object', at);
    return value;
  }

  /** Reads the stream header (magic and version). */
  header(): void {
    if (this.u16() !== MAGIC) this.fail('not a Java serialization stream (bad magic)', 0);
    if (this.u16() !== VERSION) this.fail('unsupported Java serialization version', 2);
  }

  /** One `content` item: an object/string/null/reference, or block data. */
  content(): JavaValue | Uint8Array {
    const tc = this.peek();
    if (tc === TC_BLOCKDATA) {
      this.u8();
      return this.take(this.u8());
    }
    if (tc === TC_BLOCKDATALONG) {
      this.u8();
      const at = this.pos;
      const n = this.i32();
      if (n < 0) this.fail('negative block length', at);
      return this.take(n);
    }
    return this.object();
  }

  object(): JavaValue {
    const at = this.pos;
    const tc = this.u8();
    switch (tc) {
      case TC_NULL:
        return null;
      case TC_REFERENCE: {
        const value = this.reference();
        if (typeof value !== 'string' && value.kind === 'classdesc')
          this.fail('reference to a class where an object belongs', at);
        return value;
      }
      case TC_STRING:
      case TC_LONGSTRING: {
        const s = this.utf(tc === TC_LONGSTRING);
        this.newHandle(s);
        return s;
      }
      case TC_OBJECT:
        return this.newObject();
      default:
        this.fail(
          UNSUPPORTED[tc]
            ? `unsupported content: ${UNSUPPORTED[tc]}`
            : `unknown type code 0x${tc.toString(16)}`,
          at,
        );
    }
  }

  private enter(): void {
    if (++this.depth > JAVA_LIMITS.maxDepth) this.fail(`objects nested deeper than ${JAVA_LIMITS.maxDepth}`);
  }

  private leave(): void {
    this.depth--;
  }

  private classDesc(): JavaClassDesc | null {
    const at = this.pos;
    const tc = this.u8();
    if (tc === TC_NULL) return null;
    if (tc === TC_REFERENCE) {
      const value = this.reference();
      if (typeof value === 'string' || value.kind !== 'classdesc')
        this.fail('expected a class description', at);
      return value;
    }
    if (tc !== TC_CLASSDESC)
      this.fail(
        UNSUPPORTED[tc] ? `unsupported content: ${UNSUPPORTED[tc]}` : 'expected a class description',
        at,
      );
    this.enter();
    const name = this.utf();
    this.i64(); // serialVersionUID: not checked, any compatible layout reads the same
    const desc: JavaClassDesc = { kind: 'classdesc', name, flags: 0, fields: [], superDesc: null };
    this.newHandle(desc);
    desc.flags = this.u8();
    if (desc.flags & SC_EXTERNALIZABLE)
      this.fail(`class ${name} is Externalizable, which this reader does not support`, at);
    const count = this.u16();
    if (count > JAVA_LIMITS.maxFields)
      this.fail(`class ${name} declares ${count} fields (limit ${JAVA_LIMITS.maxFields})`);
    for (let i = 0; i < count; i++) {
      const type = String.fromCharCode(this.u8());
      const fieldName = this.utf();
      if (type === 'L' || type === '[') {
        const cls = this.object(); // the field's class name, a string or a reference to one
        if (typeof cls !== 'string') this.fail(`field ${fieldName} has no class name`);
      } else if (!'BCDFIJSZ'.includes(type))
        this.fail(`field ${fieldName} has unknown type code ${JSON.stringify(type)}`);
      desc.fields.push({ type, name: fieldName });
    }
    this.annotationsUntilEnd(); // classAnnotation, ignored
    desc.superDesc = this.classDesc();
    this.leave();
    return desc;
  }

  private annotationsUntilEnd(): (JavaValue | Uint8Array)[] {
    const items: (JavaValue | Uint8Array)[] = [];
    while (this.peek() !== TC_ENDBLOCKDATA) {
      // Empty blocks cost two bytes and take no handle, so they are counted here.
      if (items.length >= JAVA_LIMITS.maxAnnotations)
        this.fail(`more than ${JAVA_LIMITS.maxAnnotations} items written by one class`);
      items.push(this.content());
    }
    this.u8();
    return items;
  }

  private primitive(type: string): JavaValue {
    switch (type) {
      case 'B':
        return (this.u8() << 24) >> 24;
      case 'Z':
        return this.u8() !== 0;
      case 'C':
        return String.fromCharCode(this.u16());
      case 'S':
        return (this.u16() << 16) >> 16;
      case 'I':
        return this.i32();
      case 'F': {
        this.need(4);
        const v = this.view.getFloat32(this.pos);
        this.pos += 4;
        return v;
      }
      case 'J':
        return this.i64();
      default: {
        this.need(8);
        const v = this.view.getFloat64(this.pos);
        this.pos += 8;
        return v;
      }
    }
  }

  private newObject(): JavaObject {
    const at = this.pos;
    const desc = this.classDesc();
    if (!desc) this.fail('object without a class', at);
    const obj: JavaObject = { kind: 'object', className: desc.name, fields: new Map(), annotations: [] };
    this.newHandle(obj);
    this.enter();
    // Class data is written from the topmost serializable superclass down (§6.4, classdata).
    const chain: JavaClassDesc[] = [];
    for (let d: JavaClassDesc | null = desc; d; d = d.superDesc) {
      if (chain.length >= JAVA_LIMITS.maxDepth) this.fail('class hierarchy too deep');
      chain.unshift(d);
    }
    for (const d of chain) {
      if (!(d.flags & SC_SERIALIZABLE)) continue;
      for (const f of d.fields) {
        obj.fields.set(f.name, f.type === 'L' || f.type === '[' ? this.object() : this.primitive(f.type));
      }
      if (d.flags & SC_WRITE_METHOD)
        for (const item of this.annotationsUntilEnd()) obj.annotations.push(item);
    }
    this.leave();
    return obj;
  }
}

/** Reads the first object of a serialization stream. */
export function readJavaObject(bytes: Uint8Array): JavaValue {
  const reader = new StreamReader(bytes);
  reader.header();
  return reader.object();
}

/** Whether bytes start like a Java serialization stream (magic AC ED, version 5). */
export function isJavaSerialization(bytes: Uint8Array): boolean {
  return bytes[0] === 0xac && bytes[1] === 0xed && bytes[2] === 0x00 && bytes[3] === 0x05;
}

/**
 * Reads a serialized `java.util.HashMap` whose keys and values are all strings. HashMap's
 * writeObject writes, after its fields, a block with the bucket count and the size (two ints), then
 * the key and value objects in turn (OpenJDK and Android agree on this layout).
 */
export function readJavaStringMap(bytes: Uint8Array): Map<string, string> {
  const value = readJavaObject(bytes);
  if (!value || typeof value !== 'object' || value.className !== 'java.util.HashMap') {
    throw new JavaSerializationError('expected a serialized java.util.HashMap', 4);
  }
  const [block, ...items] = value.annotations;
  if (!(block instanceof Uint8Array) || block.length < 8) {
    throw new JavaSerializationError('HashMap without its size block', 4);
  }
  const size = new DataView(block.buffer, block.byteOffset, block.byteLength).getInt32(4);
  if (size < 0 || size * 2 !== items.length) {
    throw new JavaSerializationError(`HashMap says ${size} entries but holds ${items.length / 2}`, 4);
  }
  const map = new Map<string, string>();
  for (let i = 0; i < items.length; i += 2) {
    const key = items[i];
    const val = items[i + 1];
    if (typeof key !== 'string' || typeof val !== 'string') {
      throw new JavaSerializationError(`HashMap entry ${i / 2} is not a pair of strings`, 4);
    }
    map.set(key, val);
  }
  return map;
}
