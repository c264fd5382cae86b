/** What a verifier sees of a request: the exact body bytes and headers with lower-cased names. */
export interface SignedRequest {
  rawBody: Buffer;
  /** Header names lower-cased; values as received. */
  headers: Readonly<Record<string, string | undefined>>;
}

/** Settings a verifier needs; the secrets are tried in order (current first, then previous). */
export interface VerifyOptions {
  secrets: readonly string[];
  /** Accepted distance between the signed timestamp and now, both directions, in seconds. */
  toleranceSeconds: number;
  /** Current time in whole seconds since the epoch (injected so tests control the clock). */
  nowSeconds: number;
  /** `generic` only: the header that carries the signature. */
  header?: string;
  /** `generic` only: how the HMAC is written in that header. */
  encoding?: 'hex' | 'base64';
}

/** What a successful verification proved. */
export interface Verification {
  /** The signed timestamp, in seconds, for schemes that sign one. */
  timestamp?: number;
  /** Index into `secrets` of the secret that matched (0 = current). */
  secretIndex: number;
}

/** A scheme's verifier: returns what it proved or throws `SignatureError` (401). */
export type Verifier = (request: SignedRequest, options: VerifyOptions) => Verification;
