// Writes config/sources.json the way it is kept by hand (and as Biome formats it): objects broken
// over lines, except an object inside an array that fits on one line; arrays on one line when they fit,
// unless they hold several objects. Re-writing an untouched file gives it back byte for byte, so adding
// a source changes only the lines of that source.

const WIDTH = 100;

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * @param {unknown} value
 * @param {string} indent the indentation of the line the value starts on
 * @param {number} column where on that line the value starts
 * @param {boolean} inArray whether the value is an element of an array
 * @returns {string}
 */
function format(value, indent, column, inArray) {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const inner = `${indent}  `;
  // One character after the value: the comma or the closing bracket that follows it.
  const fits = (/** @type {string} */ text) => !text.includes('\n') && column + text.length < WIDTH;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const flat = `[${value.map((item) => format(item, inner, 0, true)).join(', ')}]`;
    const severalObjects = value.length > 1 && value.every((item) => isObject(item));
    if (!severalObjects && fits(flat)) return flat;
    const items = value.map((item) => inner + format(item, inner, inner.length, true));
    return `[\n${items.join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  if (inArray) {
    const parts = entries.map(
      ([key, item]) => `${JSON.stringify(key)}: ${format(item, inner, 0, false)}`,
    );
    const flat = `{ ${parts.join(', ')} }`;
    if (fits(flat)) return flat;
  }
  const lines = entries.map(([key, item]) => {
    const prefix = `${inner}${JSON.stringify(key)}: `;
    return prefix + format(item, inner, prefix.length, false);
  });
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

/**
 * The catalog as the file holds it, with a final newline.
 * @param {unknown} catalog
 * @returns {string}
 */
function formatCatalog(catalog) {
  return `${format(catalog, '', 0, false)}\n`;
}

module.exports = { formatCatalog };
