/**
 * The test vectors of draft-irtf-cfrg-cpace for CPACE-RISTR255-SHA512 (appendix "Test vector for
 * CPace using group ristretto255 and hash SHA-512") and for the string utilities, run against
 * packages/vault/src/pake/cpace.ts.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import {
  calculateGenerator,
  deriveIsk,
  finishCpace,
  generatorString,
  IDENTITY,
  lexicographicallyLarger,
  lvCat,
  oCat,
  prependLen,
  sampleScalar,
  scalarMult,
  scalarMultVfy,
  startCpace,
  transcriptIr,
  transcriptOc,
} from '../../src/pake/cpace.js';

const te = new TextEncoder();
const b = (s: string) => te.encode(s);
const h = (hex: string) => hexToBytes(hex.replace(/\s+/g, ''));
const hex = (bytes: Uint8Array) => bytesToHex(bytes);

// Inputs and outputs as printed in the draft (lower-case hex).
const V = {
  prs: b('Password'),
  ci: h('0b415f696e69746961746f720b425f726573706f6e646572'),
  sid: h('7e4b4791d6a8ef019b936c79fb7f2c57'),
  genString: `11435061636552697374726574746f3235350850617373776f726464${'00'.repeat(84)}00000000000000000000000000000000180b415f696e69746961746f720b425f726573706f6e646572107e4b4791d6a8ef019b936c79fb7f2c57`,
  genHash:
    'da6d3ddc8802fca9058755ffd3ebde08a9c2c74945901a258482a288b6663af06bf645c93cd1c51512307199c80e84908916d983b34af77205f90851a657ee27',
  g: '222b6b195fe84b1652badb6f6a3ae3d24341e7306967f0b8115b40d5698c7e56',
  ya: h('da3d23700a9e5699258aef94dc060dfda5ebb61f02a5ea77fad53f4ff0976d08'),
  ada: b('ADa'),
  Ya: 'd6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec482b9157',
  yb: h('d2316b454718c35362d83d69df6320f38578ed5984651435e2949762d900b80d'),
  adb: b('ADb'),
  Yb: '3ea7e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f7258',
  K: '80b69a8a76457ab6a4d7f887a4bf6b55a2f80ac19c333f917a05fc9887c8b40f',
  transcriptIr:
    '20d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec482b915703414461203ea7e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f725803414462',
  iskIr:
    'b69effbf61b51d56401c0f65601abe428de8206feaaf0e32198896dcae7b35cd2b38950a39dfd5d4a79164614c2984f7daa460b588c1e80c3fa2068af7900447',
  transcriptOc:
    '6f6320d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec482b915703414461203ea7e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f725803414462',
  iskOc:
    '544199d71f62f8d9a1fee55727e24fe4a45844593c2b6013c4fa3969d0e5debb2244675c0b43397cbb68d342b01fc0f98fc961469a25134de9f0f813c1a57476',
  sidOutputIr:
    'bb1c449b35f0ea79a65c209f329a693d475e0ce2387bed9fe4b78f60b2a27c219813fb2cfe175ef40d2222d9261e66da7d78f7c55a303b1b8611dcdfab880c47',
  sidOutputOc:
    '10d5941d4933497fe31b9188d690b84465e2a2d158332a7267284a071a8d0876fc5c8c329dc735d59a9f8ef6623ee23924704a2f929dd631ca981227ee82fff2',
};

describe('CPace string utilities (draft appendix)', () => {
  it('prepend_len and lv_cat', () => {
    expect(hex(prependLen(new Uint8Array(0)))).toBe('00');
    expect(hex(prependLen(b('1234')))).toBe('0431323334');
    const r127 = Uint8Array.from({ length: 127 }, (_, i) => i);
    expect(hex(prependLen(r127))).toBe('7f' + hex(r127));
    const r128 = Uint8Array.from({ length: 128 }, (_, i) => i);
    expect(hex(prependLen(r128))).toBe('8001' + hex(r128));
    expect(hex(lvCat(b('1234'), b('5'), b(''), b('678')))).toBe('043132333401350003363738');
  });

  it('lexicographic order, o_cat and the transcripts', () => {
    const z = (...x: number[]) => Uint8Array.from(x);
    expect(lexicographicallyLarger(z(0), z(0, 0))).toBe(false);
    expect(lexicographicallyLarger(z(1), z(0, 0))).toBe(true);
    expect(lexicographicallyLarger(z(0, 0), z(0))).toBe(true);
    expect(lexicographicallyLarger(z(0, 0), z(1))).toBe(false);
    expect(lexicographicallyLarger(z(0, 1), z(1))).toBe(false);
    expect(lexicographicallyLarger(b('ABCD'), b('BCD'))).toBe(false);
    expect(hex(oCat(b('ABCD'), b('BCD')))).toBe('6f6342434441424344');
    expect(hex(oCat(b('BCD'), b('ABCDE')))).toBe('6f634243444142434445');
    expect(hex(transcriptIr(b('123'), b('PartyA'), b('234'), b('PartyB')))).toBe(
      '03313233065061727479410332333406506172747942',
    );
    expect(hex(transcriptIr(b('3456'), b('PartyA'), b('2345'), b('PartyB')))).toBe(
      '043334353606506172747941043233343506506172747942',
    );
    expect(hex(transcriptOc(b('123'), b('PartyA'), b('234'), b('PartyB')))).toBe(
      '6f6303323334065061727479420331323306506172747941',
    );
    expect(hex(transcriptOc(b('3456'), b('PartyA'), b('2345'), b('PartyB')))).toBe(
      '6f63043334353606506172747941043233343506506172747942',
    );
  });
});

describe('CPACE-RISTR255-SHA512 test vectors', () => {
  const inputs = { prs: V.prs, ci: V.ci, sid: V.sid };

  it('generator_string, its hash and the generator', () => {
    expect(hex(generatorString(inputs))).toBe(V.genString);
    expect(generatorString(inputs).length).toBe(170);
    expect(hex(sha512(generatorString(inputs)))).toBe(V.genHash);
    expect(hex(calculateGenerator(inputs))).toBe(V.g);
  });

  it('messages from A and B, K, ISK (initiator-responder and parallel), sid_output', () => {
    const g = calculateGenerator(inputs);
    const Ya = scalarMult(V.ya, g);
    const Yb = scalarMult(V.yb, g);
    expect(hex(Ya)).toBe(V.Ya);
    expect(hex(Yb)).toBe(V.Yb);
    expect(hex(scalarMultVfy(V.ya, Yb))).toBe(V.K);
    expect(hex(scalarMultVfy(V.yb, Ya))).toBe(V.K);
    const tIr = transcriptIr(Ya, V.ada, Yb, V.adb);
    expect(hex(tIr)).toBe(V.transcriptIr);
    expect(hex(deriveIsk({ sid: V.sid, k: h(V.K), transcript: tIr }))).toBe(V.iskIr);
    const tOc = transcriptOc(Ya, V.ada, Yb, V.adb);
    expect(hex(tOc)).toBe(V.transcriptOc);
    expect(hex(deriveIsk({ sid: V.sid, k: h(V.K), transcript: tOc }))).toBe(V.iskOc);
    const sidOut = (t: Uint8Array) => hex(sha512(new Uint8Array([...b('CPaceSidOutput'), ...t])));
    expect(sidOut(tIr)).toBe(V.sidOutputIr);
    expect(sidOut(tOc)).toBe(V.sidOutputOc);
    // The whole run through the module's public face gives the same ISK on both sides.
    const common = { sid: V.sid, ya: Ya, ada: V.ada, yb: Yb, adb: V.adb };
    const a = finishCpace({ y: V.ya, peerShare: Yb, ...common })!;
    const bSide = finishCpace({ y: V.yb, peerShare: Ya, ...common })!;
    expect(hex(a.isk)).toBe(V.iskIr);
    expect(hex(bSide.isk)).toBe(V.iskIr);
    expect(hex(a.tagA)).toBe(hex(bSide.tagA));
    expect(hex(a.tagB)).toBe(hex(bSide.tagB));
  });

  it('scalar_mult_vfy: the valid case and the invalid encodings map to G.I', () => {
    const s = h('7cd0e075fa7955ba52c02759a6c90dbbfc10e6d40aea8d283e407d88cf538a05');
    const x = h('2c3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c');
    expect(hex(scalarMultVfy(s, x))).toBe('7c13645fe790a468f62c39beb7388e541d8405d1ade69d1778c5fe3e7f6b600e');
    const invalid1 = h('2b3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c');
    expect(scalarMultVfy(s, invalid1)).toEqual(IDENTITY);
    expect(scalarMultVfy(s, new Uint8Array(32))).toEqual(IDENTITY);
    // A run that receives an invalid share aborts instead of deriving a key.
    const common = { sid: V.sid, ya: h(V.Ya), ada: V.ada, yb: invalid1, adb: V.adb };
    expect(finishCpace({ y: V.ya, peerShare: invalid1, ...common })).toBeNull();
  });

  it('different passwords give different keys; sampled scalars fit group_size_bits', () => {
    const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
    const a = startCpace({ prs: b('12345678'), ci: V.ci, sid: V.sid, random });
    const bWrong = startCpace({ prs: b('12345679'), ci: V.ci, sid: V.sid, random });
    const common = { sid: V.sid, ya: a.share, ada: V.ada, yb: bWrong.share, adb: V.adb };
    const ka = finishCpace({ y: a.y, peerShare: bWrong.share, ...common })!;
    const kb = finishCpace({ y: bWrong.y, peerShare: a.share, ...common })!;
    expect(hex(ka.isk)).not.toBe(hex(kb.isk));
    expect(hex(ka.tagB)).not.toBe(hex(kb.tagB));
    for (let i = 0; i < 50; i++) expect(sampleScalar(random)[31]! & 0xf0).toBe(0);
  });
});
