/**
 * JSON numbers kept as their source text where a double would change them.
 *
 * `JSON.parse` turns every number into a double: 9007199254740993 becomes 9007199254740992, so two
 * different ids beyond 2^53 would collapse into one (one fingerprint, one idempotency key's worth of
 * input) and the engine would receive a number the client never sent. `parseJsonExact` keeps each
 * number whose double does not print back as its source text (`9007199254740993`, `1.0`, `1e3`) as
 * a raw JSON value (`JSON.rawJSON`, Node 21+), which `JSON.stringify` writes back digit for digit and
 * `canonicalJson` compares by its text. Built on the runtime's own JSON.parse source-text access, no
 * library: the parse stays the platform's.
 */

/** A number kept as its source text. */
export interface RawJsonNumber {
  readonly rawJSON: string;
}

/** The parts of the runtime's JSON that TypeScript's lib does not describe yet (ES2025). */
const json = JSON as unknown as {
  parse(
    text: string,
    reviver: (key: string, value: unknown, context: { source?: string }) => unknown,
  ): unknown;
  rawJSON(text: string): RawJsonNumber;
  isRawJSON(value: unknown): value is RawJsonNumber;
};

/** `JSON.parse`, with every number a double would change kept as its source text. */
export function parseJsonExact(text: string): unknown {
  return json.parse(text, (_key, value, context) =>
    typeof value === 'number' && context.source !== undefined && String(value) !== context.source
      ? json.rawJSON(context.source)
      : value,
  );
}

/** Whether `value` is a number kept as its source text by {@link parseJsonExact}. */
export function isRawJsonNumber(value: unknown): value is RawJsonNumber {
  return json.isRawJSON(value);
}
