// Prints the import graph of the given globs as JSON (dpdm's tree and its cycles). It runs as its own
// Node process because dpdm loads ESM-only packages (chalk) that jest's CommonJS loader cannot.
const { parseCircular, parseDependencyTree } = require('dpdm');

async function main() {
  const [root, ...globs] = process.argv.slice(2);
  const tree = await parseDependencyTree(globs, {
    context: root,
    transform: false,
    skipDynamicImports: false,
  });
  process.stdout.write(JSON.stringify({ tree, circular: parseCircular(tree) }));
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
