// `npm exec -- node bench/cold-start/explore-cold-start.js [function] [runs]`: not part of `npm run bench`.
// Looks for honest ways to make a function's deploy bundle start faster: what goes into the bundle
// by package (esbuild's metafile), import time and CPU of bundle variants (fresh processes,
// alternating), and which source modules the import spends its CPU in (--cpu-prof mapped back
// through the source map). Needs no local servers: it measures import only, with the function's
// local-stage environment (CloudFormation references and empty provider URLs given placeholders:
// nothing is called).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { deployBuildOptions } = require('../../local/offline/build');
const { useEmailSandbox, useWorkflowSandbox } = require('../../local/stack/local-environment');
const { buildBundles } = require('./cold-start-bundles');
const { lambdaEnvironment, printService, resolveEnvironmentWith } = require('./cold-start-service');
const { coldRun } = require('./cold-run');
const { ownerOf, selfTimeByOwner } = require('../lib/profile');
const { fixed, summarize, table } = require('../lib/stats');

/** Nothing listens here: the import never calls out. */
const PLACEHOLDER_URL = 'http://127.0.0.1:9';

/**
 * Bytes of the bundle by owning package or project folder, from esbuild's metafile.
 * @param {any} metafile
 */
function bytesByOwner(metafile) {
  const output = /** @type {any} */ (
    Object.values(metafile.outputs).find((out) => /** @type {any} */ (out).entryPoint)
  );
  /** @type {Record<string, number>} */
  const totals = {};
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const owner = ownerOf(input);
    totals[owner] = (totals[owner] ?? 0) + /** @type {number} */ (bytesInOutput);
  }
  return totals;
}

const root = path.resolve(__dirname, '..', '..');

const COMPILE_CACHE_LABEL = 'deploy options + NODE_COMPILE_CACHE (warmed)';

async function main() {
  const [name = 'webhook-ingest', runsArg = '15'] = process.argv.slice(2);
  const runs = Number(runsArg);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'connector-suite-explore-'));
  try {
    const service = printService(root, 'local');
    useEmailSandbox(service, PLACEHOLDER_URL);
    useWorkflowSandbox(service, PLACEHOLDER_URL);
    const definition = service.functions?.[name];
    if (!definition) throw new Error(`No function ${name}`);
    const handler = String(definition.handler);
    const entry = path.join(root, `${handler.slice(0, handler.lastIndexOf('.'))}.ts`);
    const base = { ...deployBuildOptions(service.custom?.esbuild ?? {}), entryPoints: [entry] };
    const naive = { entryPoints: [entry], bundle: true, platform: 'node' };
    // The deployed runtime settings are the reference; each variant changes one thing.
    const deployed = printService(root, 'prod').provider?.environment ?? {};
    // A placeholder for what CloudFormation fills in: the logical id, as a name.
    const placeholder = (/** @type {{ Ref?: string, 'Fn::GetAtt'?: string[] }} */ value) =>
      value.Ref ?? value['Fn::GetAtt']?.[0] ?? 'placeholder';
    const env = lambdaEnvironment({
      service,
      key: name,
      definition,
      environment: {
        ...resolveEnvironmentWith(service.provider?.environment, placeholder),
        ...resolveEnvironmentWith(definition.environment, placeholder),
      },
      region: 'us-east-1',
      deployed,
    });
    const withMaps = { NODE_OPTIONS: '--enable-source-maps' };
    /** @type {[string, Record<string, any>, Record<string, string>][]} */
    const variants = [
      ['deploy options (as configured)', base, {}],
      ['deploy options + --enable-source-maps', base, withMaps],
      ['deploy options, sourcemap off', { ...base, sourcemap: false }, {}],
      ['deploy options, credential providers bundled', { ...base, external: [] }, {}],
      ['deploy options + legalComments none', { ...base, legalComments: 'none' }, {}],
      ['deploy options, mainFields default (main first)', { ...base, mainFields: undefined }, {}],
      ['deploy options, not minified', { ...base, minify: false }, {}],
      ['deploy options + keepNames', { ...base, keepNames: true }, {}],
      [
        'deploy options, format esm (.mjs)',
        { ...base, format: 'esm', outExtension: { '.js': '.mjs' } },
        {},
      ],
      // Node's on-disk compile cache (V8 code cache), warmed by one run before the timed ones: what a
      // code cache shipped with the bundle could save, if the runtime's V8 accepted it.
      [COMPILE_CACHE_LABEL, base, { NODE_COMPILE_CACHE: path.join(work, 'compile-cache') }],
      ['naive (esbuild defaults)', naive, {}],
    ];
    const bundles = await buildBundles(
      Object.fromEntries(
        variants.map(([, options], index) => [
          String(index),
          { ...options, outdir: path.join(work, String(index)) },
        ]),
      ),
      { metafile: true },
    );
    const built = variants.map(([label, , extraEnv], index) => ({
      label,
      .../** @type {{ file: string, bytes: number, metafile: any }} */ (bundles[String(index)]),
      env: { ...env, ...extraEnv },
      importMs: /** @type {number[]} */ ([]),
      cpuMs: /** @type {number[]} */ ([]),
      readyMs: /** @type {number[]} */ ([]),
    }));
    const deploy = /** @type {(typeof built)[number]} */ (built[0]);
    const naiveBuilt = /** @type {(typeof built)[number]} */ (built[built.length - 1]);

    // What goes into the deploy bundle, by package, beside the naive bundle's share of each.
    const deployBytes = bytesByOwner(deploy.metafile);
    const naiveBytes = bytesByOwner(naiveBuilt.metafile);
    console.log(
      table(
        `What the bundles of ${name} hold, by package (esbuild metafile, bytes in the output)`,
        ['package', 'deploy bundle', 'naive bundle'],
        Object.entries(deployBytes)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 20)
          .map(([owner, bytes]) => [
            owner,
            `${fixed(bytes / 1024, 1)} KB`,
            `${fixed((naiveBytes[owner] ?? 0) / 1024, 1)} KB`,
          ]),
      ),
    );

    const contextFile = path.join(work, 'context.json');
    fs.writeFileSync(contextFile, '{}');
    for (const variant of built.filter((v) => v.label === COMPILE_CACHE_LABEL)) {
      await coldRun({ bundle: variant.file, exportName: 'handler', env: variant.env, contextFile });
    }
    for (let run = 0; run < runs; run += 1) {
      const order = run % 2 === 0 ? built : [...built].reverse();
      for (const variant of order) {
        const result = await coldRun({
          bundle: variant.file,
          exportName: 'handler',
          env: variant.env,
          contextFile,
        });
        variant.importMs.push(result.importMs);
        variant.cpuMs.push(result.processCpuMs);
        variant.readyMs.push(result.spawnToAnswerMs);
      }
    }
    const baseline = summarize(deploy.importMs).median;
    console.log(
      `\n${table(
        `Import of ${name} in a fresh node process (${runs} runs each, alternating; NODE_OPTIONS as deployed unless listed)`,
        [
          'variant',
          'bundle',
          'import median (ms)',
          'vs as configured',
          'spawn -> loaded median (ms)',
          'process CPU median (ms)',
        ],
        built.map((variant) => {
          const importMs = summarize(variant.importMs).median;
          return [
            variant.label,
            `${fixed(variant.bytes / 1024, 1)} KB`,
            fixed(importMs),
            `${fixed(importMs - baseline)} ms`,
            fixed(summarize(variant.readyMs).median),
            fixed(summarize(variant.cpuMs).median),
          ];
        }),
      )}`,
    );

    // Where the import's CPU goes, by source package (deploy bundle, profiled, summed over runs).
    const profileDir = path.join(work, 'profiles');
    /** @type {Record<string, number>} */
    const totals = {};
    const profileRuns = 5;
    for (let run = 0; run < profileRuns; run += 1) {
      const dir = path.join(profileDir, String(run));
      await coldRun({
        bundle: deploy.file,
        exportName: 'handler',
        // As deployed; the samples are mapped back through the .map file here, not by node.
        env: deploy.env,
        contextFile,
        nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100'],
      });
      for (const file of fs.readdirSync(dir)) {
        for (const [owner, ms] of Object.entries(
          selfTimeByOwner(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')), deploy.file),
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
