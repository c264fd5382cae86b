// `node bench/explore-cold-start.js [function] [runs]`: not part of `npm run bench`. Looks for
// honest ways to make a function's deploy bundle start faster: import time of bundle variants
// (fresh processes, alternating), and which source modules the import spends its CPU in (--cpu-prof
// mapped back through the source map). Needs no local servers: it measures import only.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { coldRun, deployBuildOptions, printService } = require('./cold-start');
const { selfTimeByOwner } = require('./lib/profile');
const { fixed, summarize, table } = require('./lib/stats');

const root = path.resolve(__dirname, '..');

async function main() {
  const [name = 'webhook-ingest', runsArg = '15'] = process.argv.slice(2);
  const runs = Number(runsArg);
  const esbuild = require('esbuild');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'connector-suite-explore-'));
  try {
    const service = printService(root, 'local');
    const definition = service.functions?.[name];
    if (!definition) throw new Error(`No function ${name}`);
    const handler = String(definition.handler);
    const entry = path.join(root, `${handler.slice(0, handler.lastIndexOf('.'))}.ts`);
    const deploy = deployBuildOptions(service.custom?.esbuild ?? {});
    const base = { ...deploy, entryPoints: [entry] };
    const naive = { entryPoints: [entry], bundle: true, platform: 'node' };
    // The deployed runtime settings are the reference; each variant changes one thing.
    const deployed = {
      NODE_OPTIONS: String(printService(root, 'prod').provider?.environment?.NODE_OPTIONS ?? ''),
    };
    const withMaps = { NODE_OPTIONS: '--enable-source-maps' };
    /** @type {[string, Record<string, any>, Record<string, string>][]} */
    const variants = [
      ['deploy options (as configured)', base, deployed],
      ['deploy options + --enable-source-maps', base, withMaps],
      ['deploy options, sourcemap off', { ...base, sourcemap: false }, deployed],
      ['deploy options, credential providers bundled', { ...base, external: [] }, deployed],
      ['deploy options + legalComments none', { ...base, legalComments: 'none' }, deployed],
      [
        'deploy options, mainFields default (main first)',
        { ...base, mainFields: undefined },
        deployed,
      ],
      ['deploy options, not minified', { ...base, minify: false }, deployed],
      ['deploy options + keepNames', { ...base, keepNames: true }, deployed],
      [
        'deploy options, format esm (.mjs)',
        { ...base, format: 'esm', outExtension: { '.js': '.mjs' } },
        deployed,
      ],
      ['naive (esbuild defaults)', naive, deployed],
    ];
    const built = [];
    for (const [index, [label, options, env]] of variants.entries()) {
      const outdir = path.join(work, String(index));
      const result = await esbuild.build({ ...options, outdir, logLevel: 'error', metafile: true });
      const file = /** @type {string} */ (
        Object.keys(result.metafile.outputs).find((out) => /\.m?js$/.test(out))
      );
      const absolute = path.resolve(file);
      const bundle = absolute;
      built.push({
        label,
        bundle,
        absolute,
        bytes: fs.statSync(absolute).size,
        env,
        importMs: /** @type {number[]} */ ([]),
        readyMs: /** @type {number[]} */ ([]),
      });
    }
    const env = {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      ...service.provider.environment,
    };
    const contextFile = path.join(work, 'context.json');
    fs.writeFileSync(contextFile, '{}');
    for (let run = 0; run < runs; run += 1) {
      const order = run % 2 === 0 ? built : [...built].reverse();
      for (const variant of order) {
        const result = /** @type {any} */ (
          await coldRun({
            bundle: variant.bundle,
            exportName: 'handler',
            env: {
              ...env,
              ...variant.env,
              ...Object.fromEntries(
                Object.entries(definition.environment ?? {}).map(([k, v]) => [
                  k,
                  typeof v === 'string' ? v : 'x',
                ]),
              ),
            },
            contextFile,
          })
        );
        variant.importMs.push(result.importMs);
        variant.readyMs.push(result.spawnToAnswerMs);
      }
    }
    const baseline = summarize(/** @type {any} */ (built[0]).importMs).median;
    console.log(
      table(
        `Import of ${name} in a fresh node process (${runs} runs each, alternating; NODE_OPTIONS as listed)`,
        [
          'variant',
          'bundle',
          'import median (ms)',
          'vs as configured',
          'spawn -> loaded median (ms)',
        ],
        built.map((variant) => {
          const importMs = summarize(variant.importMs).median;
          return [
            variant.label,
            `${fixed(variant.bytes / 1024, 1)} KB`,
            fixed(importMs),
            `${fixed(importMs - baseline)} ms`,
            fixed(summarize(variant.readyMs).median),
          ];
        }),
      ),
    );

    // Where the import's CPU goes, by source package (deploy bundle, profiled, summed over runs).
    const profiled = /** @type {any} */ (built[0]);
    const profileDir = path.join(work, 'profiles');
    /** @type {Record<string, number>} */
    const totals = {};
    const profileRuns = 5;
    for (let run = 0; run < profileRuns; run += 1) {
      const dir = path.join(profileDir, String(run));
      await coldRun({
        bundle: profiled.bundle,
        exportName: 'handler',
        env: {
          ...env,
          ...Object.fromEntries(
            Object.entries(definition.environment ?? {}).map(([k, v]) => [
              k,
              typeof v === 'string' ? v : 'x',
            ]),
          ),
          // As deployed; the samples are mapped back through the .map file here, not by node.
          ...deployed,
        },
        contextFile,
        nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100'],
      });
      for (const file of fs.readdirSync(dir)) {
        for (const [owner, ms] of Object.entries(
          selfTimeByOwner(
            JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')),
            profiled.absolute,
          ),
        )) {
          totals[owner] = (totals[owner] ?? 0) + ms / profileRuns;
        }
      }
    }
    const sum = Object.values(totals).reduce((a, b) => a + b, 0);
    console.log(
      `\n${table(
        `CPU self time of a fresh process that loads the deploy bundle, by source package (mean of ${profileRuns} profiled runs; profiling inflates times)`,
        ['package', 'ms', 'share'],
        Object.entries(totals)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 24)
          .map(([owner, ms]) => [owner, fixed(ms), `${fixed((100 * ms) / sum, 1)}%`]),
      )}`,
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
