// Where a V8 CPU profile spends its time, by owning package or project folder, with bundled code
// mapped back to its sources through the bundle's source map.

const fs = require('node:fs');
const { SourceMap } = require('node:module');

/**
 * The package (or project folder) a source path belongs to.
 * @param {string} source
 */
function ownerOf(source) {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
  if (match) return /** @type {string} */ (match[1]);
  const local = /(functions\/[^/]+|shared\/[^/]+|config)\//.exec(source);
  return local ? `(project) ${local[1]}` : source;
}

/**
 * Self time (ms) per owner in a CPU profile. Frames of `bundle` (a file with a `.map` beside it) are
 * mapped to their original sources; other frames are owned by their file's package.
 * @param {{ nodes: { id: number, callFrame: { url: string, functionName: string,
 *   lineNumber: number, columnNumber: number } }[], samples: number[], timeDeltas: number[] }} profile
 * @param {string} [bundle]
 * @returns {Record<string, number>}
 */
function selfTimeByOwner(profile, bundle) {
  const map = bundle ? new SourceMap(JSON.parse(fs.readFileSync(`${bundle}.map`, 'utf8'))) : null;
  /** @type {Map<number, string>} */
  const ownerOfNode = new Map();
  for (const node of profile.nodes) {
    const frame = node.callFrame;
    let owner = frame.url
      ? ownerOf(frame.url.replace(/^node:internal\//, 'node:'))
      : `(${frame.functionName || 'vm'})`;
    if (map && bundle && (frame.url === `file://${bundle}` || frame.url === bundle)) {
      const entry = /** @type {{ originalSource?: string }} */ (
        map.findEntry(frame.lineNumber, frame.columnNumber)
      );
      owner = entry.originalSource ? ownerOf(entry.originalSource) : '(bundle, unmapped)';
    }
    ownerOfNode.set(node.id, owner);
  }
  /** @type {Record<string, number>} */
  const totals = {};
  profile.samples.forEach((id, index) => {
    const owner = ownerOfNode.get(id) ?? '?';
    totals[owner] = (totals[owner] ?? 0) + (profile.timeDeltas[index + 1] ?? 0) / 1000;
  });
  return totals;
}

module.exports = { ownerOf, selfTimeByOwner };
