/**
 * The `Tessera-Client: <client>/<semver>` header (docs/PROTOCOL.md §4). Only `MAJOR.MINOR.PATCH` with
 * an optional pre-release is accepted (SemVer 2.0.0 §2, §9); build metadata is ignored in comparisons (§10).
 */
const HEADER =
  /^([a-z][a-z0-9-]{0,31})\/((0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(?:-([0-9A-Za-z.-]{1,64}))?(?:\+[0-9A-Za-z.-]{1,64})?)$/;

export interface ClientId {
  client: string;
  version: string;
}

/** Parses the header value; null when missing or malformed. */
export function parseClientHeader(value: string | undefined | null): ClientId | null {
  if (!value) return null;
  const m = HEADER.exec(value.trim());
  if (!m) return null;
  return { client: m[1]!, version: m[2]! };
}

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?/;

/** SemVer precedence (§11): negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: string, b: string): number {
  const ma = SEMVER.exec(a);
  const mb = SEMVER.exec(b);
  if (!ma || !mb) throw new TypeError(`not a semantic version: ${ma ? b : a}`);
  for (let i = 1; i <= 3; i++) {
    const d = Number(ma[i]) - Number(mb[i]);
    if (d !== 0) return d;
  }
  const pa = ma[4];
  const pb = mb[4];
  if (pa === undefined || pb === undefined) return (pa === undefined ? 1 : 0) - (pb === undefined ? 1 : 0);
  const ia = pa.split('.');
  const ib = pb.split('.');
  for (let i = 0; i < Math.max(ia.length, ib.length); i++) {
    const x = ia[i];
    const y = ib[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    } else if (nx !== ny) {
      return nx ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}
