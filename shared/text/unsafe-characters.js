// Plain CommonJS with JSDoc types, so the TypeScript functions (bundled by esbuild) and the plain
// Node command-line tools of tools/ (`npm run send`, `source`, `trace`) share one list.

/**
 * Characters that have no place in a header, a metadata value or an operator's terminal: C0
 * controls (NUL, CR, LF, ESC, BEL…), DEL, C1 controls (U+0080–U+009F; U+009B acts as CSI),
 * bidirectional overrides/isolates and zero-width characters (they hide or reorder text).
 * Hand-written: a dozen code point ranges, no library is made for exactly this list.
 */
const UNSAFE_CHARACTERS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;

const UNSAFE_GLOBAL = new RegExp(UNSAFE_CHARACTERS.source, 'gu');

/**
 * Whether `value` holds any character of {@link UNSAFE_CHARACTERS}.
 * @param {string} value
 * @returns {boolean}
 */
function hasUnsafeCharacters(value) {
  return UNSAFE_CHARACTERS.test(value);
}

/**
 * `value` with each unsafe character shown as `\xHH` or `\uHHHH`, safe to print to a terminal.
 * @param {string} value
 * @returns {string}
 */
function visible(value) {
  return value.replace(UNSAFE_GLOBAL, (char) => {
    const code = char.codePointAt(0) ?? 0;
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * Terminal text: each line made {@link visible}, the line breaks between lines kept.
 * @param {string} text
 * @returns {string}
 */
function terminalText(text) {
  return text.split('\n').map(visible).join('\n');
}

/**
 * JSON for a terminal: JSON.stringify already writes C0 controls in strings as `\uXXXX`; this does
 * the same for DEL, C1, bidirectional and zero-width characters, so the output stays valid JSON.
 * @param {unknown} value
 * @param {number} [space] indentation, as JSON.stringify takes it (2 unless given; 0 for one line)
 * @returns {string}
 */
function terminalJson(value, space = 2) {
  return JSON.stringify(value, null, space).replace(UNSAFE_GLOBAL, (char) => {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x7f) return char; // structural whitespace; controls inside strings are escaped already
    return `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

module.exports = { UNSAFE_CHARACTERS, hasUnsafeCharacters, visible, terminalText, terminalJson };
