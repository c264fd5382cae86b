import { SignatureError } from '../../../shared/errors';
import type { VerifyOptions } from './types';

// Whole seconds only: a sign, a fraction or an exponent is not something any supported sender
// writes, and up to 12 digits keeps the value a safe integer for the next 30,000 years.
const SECONDS = /^\d{1,12}$/;

/**
 * Parses a signed timestamp given in whole seconds since the epoch.
 *
 * @throws SignatureError when it is missing or not a plain integer.
 */
export function parseTimestamp(text: string | undefined): number {
  if (text === undefined || !SECONDS.test(text)) {
    throw new SignatureError('malformed signature timestamp');
  }
  return Number(text);
}

/**
 * Rejects a timestamp further than the tolerance from now in either direction: too old is a
 * replay, too far ahead would stay "fresh" long after a capture.
 *
 * @throws SignatureError naming which side of the window it fell on.
 */
export function assertWithinTolerance(
  timestamp: number,
  options: Pick<VerifyOptions, 'nowSeconds' | 'toleranceSeconds'>,
): void {
  if (timestamp < options.nowSeconds - options.toleranceSeconds) {
    throw new SignatureError('signature timestamp is too old');
  }
  if (timestamp > options.nowSeconds + options.toleranceSeconds) {
    throw new SignatureError('signature timestamp is in the future');
  }
}
