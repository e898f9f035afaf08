/** Why an OTP input was refused. One error type for every invalid input, naming the field. */
export class OtpError extends Error {
  override readonly name = 'OtpError';
  constructor(
    /** The field that failed, e.g. `secret`, `digits`, `uri`. */
    readonly field: string,
    /** Human-readable reason, never containing the secret itself. */
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}
