import type { ErrorBody, ErrorCode } from '@tessera/protocol';

/** An error answered as `{ error: { code, message, ...extra } }` with `status` (docs/PROTOCOL.md §4). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The one error body shape of docs/PROTOCOL.md §4: `{ error: { code, message, ...extra } }`. */
export const errorBody = (
  code: ErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
): ErrorBody => ({
  error: { ...extra, code, message },
});

export const badRequest = (message: string) => new HttpError(400, 'bad-request', message);
export const forbidden = (message: string) => new HttpError(403, 'forbidden', message);
export const notFound = (message: string) => new HttpError(404, 'not-found', message);
export const invalidLink = (message: string) => new HttpError(422, 'invalid-link', message);
