// Node's Buffer.from(text, 'hex' | 'base64') silently skips what it cannot decode, so garbage could
// decode to a short or empty buffer. These decoders accept only well-formed text and return
// `undefined` otherwise, which the verifiers turn into a SignatureError.

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes non-empty hex (either case), or returns `undefined` for anything else. */
export function decodeHex(text: string): Buffer | undefined {
  return HEX.test(text) ? Buffer.from(text, 'hex') : undefined;
}

/** Decodes non-empty, padded, standard-alphabet base64, or returns `undefined` for anything else. */
export function decodeBase64(text: string): Buffer | undefined {
  return text.length > 0 && BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
}
