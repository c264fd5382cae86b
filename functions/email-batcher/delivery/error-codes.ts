/**
 * What to do with a job after Postmark's `ErrorCode` for it (https://postmarkapp.com/developer/api/overview#error-codes).
 * - `sent`: 0;
 * - `dead`: the message itself can never be sent (300 invalid email request, 406 inactive recipient,
 *   411 forbidden attachment type): dead-letter it with the code;
 * - `pause`: the account cannot send (10 bad token, 400 and 401 sender signature, 405 not allowed,
 *   412 account pending, 413 account may not send): pause the provider, never dead-letter;
 * - `retry`: 100 maintenance, 429 rate limit, and any code we do not know.
 */
export type CodeVerdict = 'sent' | 'dead' | 'pause' | 'retry';

const MESSAGE_CODES = new Set([300, 406, 411]);
const ACCOUNT_CODES = new Set([10, 400, 401, 405, 412, 413]);

/** The verdict for one `ErrorCode`. */
export function verdictFor(errorCode: number): CodeVerdict {
  if (errorCode === 0) return 'sent';
  if (MESSAGE_CODES.has(errorCode)) return 'dead';
  if (ACCOUNT_CODES.has(errorCode)) return 'pause';
  return 'retry';
}
