import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  JAVA_LIMITS,
  JavaSerializationError,
  readJavaObject,
  type JavaObject,
  readJavaStringMap,
} from '../src/util/java-serialization.js';
import { javaStringMap } from './app-fixtures.js';

describe('Java serialization reader (bounded)', () => {
  it('reads a HashMap<String, String>: short, long (TC_LONGSTRING) and back-referenced strings', () => {
    const long = 'x'.repeat(70_000);
    const map = readJavaStringMap(
      javaStringMap([
        ['a', 'same'],
        ['b', 'same'],
        ['long', long],
        ['', ''],
      ]),
    );
    expect([...map]).toEqual([
      ['a', 'same'],
      ['b', 'same'],
      ['long', long],
      ['', ''],
    ]);
  });

  it("decodes Java's modified UTF-8: NUL as C0 80 and astral characters as surrogate pairs", () => {
    // TC_STRING with bytes: 'a', C0 80 (NUL), ED A0 BD ED B8 80 (U+1F600 as two 3-byte surrogates)
    const bytes = Uint8Array.from([
      0xac, 0xed, 0, 5, 0x74, 0, 9, 0x61, 0xc0, 0x80, 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80,
    ]);
    expect(readJavaObject(bytes)).toBe('a\u0000😀');
  });

  it('refuses what it does not read, with the reason and byte offset', () => {
    const cases: [number[], RegExp][] = [
      [[0xca, 0xfe, 0, 5, 0x70], /bad magic\) at byte 0/],
      [[0xac, 0xed, 0, 5, 0x75], /unsupported content: an array at byte 4/],
      [[0xac, 0xed, 0, 5, 0x7e], /unsupported content: an enum/],
      [[0xac, 0xed, 0, 5, 0x71, 0, 0x7e, 0, 9], /reference to an unknown object/],
      [[0xac, 0xed, 0, 5, 0x74, 0, 10, 0x61], /unexpected end of data/],
      [
        [0xac, 0xed, 0, 5, 0x7c, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        /string length larger than the data/,
      ],
    ];
    for (const [bytes, message] of cases) {
      expect(() => readJavaObject(Uint8Array.from(bytes))).toThrow(JavaSerializationError);
      expect(() => readJavaObject(Uint8Array.from(bytes))).toThrow(message);
    }
  });

  it('caps nesting: an object whose field holds an object, 100 deep, fails fast', () => {
    // class "A" with one object field "f" of type LA; and its value another A, and so on.
    const head = [0xac, 0xed, 0, 5];
    const classDesc = [
      0x72, 0, 1, 0x41, 0, 0, 0, 0, 0, 0, 0, 1, 0x02, 0, 1, 0x4c, 0, 1, 0x66, 0x74, 0, 3, 0x4c, 0x41, 0x3b,
      0x78, 0x70,
    ];
    const first = [0x73, ...classDesc];
    const again = [0x73, 0x71, 0, 0x7e, 0, 0]; // TC_OBJECT with a reference to the class description
    const bytes = Uint8Array.from([
      ...head,
      ...first,
      ...Array.from({ length: 100 }, () => again).flat(),
      0x70,
    ]);
    expect(() => readJavaObject(bytes)).toThrow(`objects nested deeper than ${JAVA_LIMITS.maxDepth}`);
  });

  it('caps the items a class writes after its fields (empty blocks take no handle)', () => {
    // An object of class "A" (SC_WRITE_METHOD | SC_SERIALIZABLE, no fields) followed by a million
    // empty TC_BLOCKDATA items.
    const head = [0xac, 0xed, 0, 5, 0x73, 0x72, 0, 1, 0x41, 0, 0, 0, 0, 0, 0, 0, 1, 0x03, 0, 0, 0x78, 0x70];
    const blocks = 1_000_000;
    const bytes = new Uint8Array(head.length + 2 * blocks + 1);
    bytes.set(head);
    for (let i = 0; i < blocks; i++) bytes[head.length + 2 * i] = 0x77;
    bytes[bytes.length - 1] = 0x78;
    expect(() => readJavaObject(bytes)).toThrow(JavaSerializationError);
    expect(() => readJavaObject(bytes)).toThrow(
      `more than ${JAVA_LIMITS.maxAnnotations} items written by one class`,
    );
    const few = Uint8Array.from([...head, 0x77, 0, 0x77, 1, 42, 0x78]);
    expect((readJavaObject(few) as JavaObject).annotations).toEqual([
      new Uint8Array(0),
      Uint8Array.from([42]),
    ]);
  });

  it('reports a HashMap whose size disagrees with its contents', () => {
    const bytes = javaStringMap([['a', 'b']]);
    const sizeAt = bytes.length - 1 - (4 + 1 + 1 + 4 + 1 + 1); // int size sits before the two strings and the end marker
    const tampered = bytes.slice();
    tampered[sizeAt + 3] = 5;
    expect(() => readJavaStringMap(tampered)).toThrow(/HashMap says 5 entries but holds 1/);
  });

  it('never crashes on arbitrary bytes after a valid header: a typed error or a value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (tail) => {
        const bytes = Uint8Array.from([0xac, 0xed, 0, 5, ...tail]);
        try {
          readJavaObject(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(JavaSerializationError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
