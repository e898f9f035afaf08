/**
 * Caps on untrusted input, in one place. A file can ask for any KDF cost or size; we refuse before
 * spending the memory or time, with a `too-large` / `kdf-too-costly` FormatError.
 */
export const LIMITS = {
  /** Largest file accepted by any reader. */
  maxFileBytes: 64 * 1024 * 1024,
  /** Most entries in one import. */
  maxEntries: 10_000,
  /** Deepest JSON nesting accepted (real exports stay under 10). */
  maxJsonDepth: 64,
  /** scrypt: N ≤ 2^20 (Aegis uses 2^15), r ≤ 32, p ≤ 16, memory 128·N·r·p ≤ 1 GiB. */
  scryptMaxLog2N: 20,
  scryptMaxR: 32,
  scryptMaxP: 16,
  scryptMaxMemoryBytes: 1024 * 1024 * 1024,
  /**
   * Password slots tried in one Aegis vault, each a full scrypt run: a file could otherwise multiply
   * the capped cost by any number. Aegis writes one, or two with a backup password.
   */
  aegisMaxPasswordSlots: 4,
  /** PBKDF2 iterations (andOTP ~150k, Bitwarden 600k). */
  pbkdf2MaxIterations: 10_000_000,
  /**
   * andOTP's iteration header is unauthenticated and any binary file may be taken for andOTP (it has
   * no magic number), so it gets a tighter cap: the app writes 140 000–160 000.
   */
  andotpMaxIterations: 1_000_000,
  /** Argon2: memory ≤ 1 GiB, passes ≤ 20, lanes ≤ 16 (Ente nominal: 256 MiB, 16 passes). */
  /** KeePass AES-KDF rounds (KDBX 3.1 and 4): KeePass's one-second setting is some millions. */
  aesKdfMaxRounds: 50_000_000,
  argon2MaxMemoryKiB: 1024 * 1024,
  argon2MaxIterations: 20,
  argon2MaxParallelism: 16,
} as const;
