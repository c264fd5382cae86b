// Cold start, the measurement: each run is a fresh `node` process (cold-start-runner.js) that
// loads a bundle and answers its first request, timed from spawn to its answer on fd 3; the bundles
// compared run alternately so that the machine's load falls on each alike.

const { spawn } = require('node:child_process');
const path = require('node:path');
const { summarize } = require('../lib/stats');

const runner = path.join(__dirname, 'cold-start-runner.js');

/**
 * One fresh process: spawn to the runner's answer on fd 3, plus the runner's own timings. Spawn ->
 * handler loaded and spawn -> answer are read off the child's clock (wall-clock instants it reports,
 * against the instant just before the spawn here), so that how late this process's event loop reads
 * the pipe (the harness's delay, not the function's: about 1 ms when measured) counts in neither. The
 * pipe's arrival is kept as `pipeAnswerMs`.
 * @param {{ bundle: string, exportName: string, env: Record<string, string>,
 *   eventFile?: string, contextFile: string, nodeArgs?: string[] }} options
 * @returns {Promise<Record<string, any>>}
 */
function coldRun({ bundle, exportName, env, eventFile, contextFile, nodeArgs = [] }) {
  return new Promise((resolve, reject) => {
    const args = [...nodeArgs, runner, bundle, exportName, eventFile ?? '', contextFile];
    const spawnedAt = performance.timeOrigin + performance.now();
    const started = performance.now();
    const child = spawn(process.execPath, args, {
      env,
      cwd: path.dirname(bundle),
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let answer = '';
    /** @type {number | undefined} */
    let pipeAnswerMs;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const fd3 = /** @type {import('node:stream').Readable} */ (child.stdio[3]);
    fd3.on('data', (chunk) => {
      pipeAnswerMs ??= performance.now() - started;
      answer += chunk;
    });
    child.once('error', reject);
    child.once('close', () => {
      clearTimeout(timer);
      try {
        const result = JSON.parse(answer);
        if (result.error) throw new Error(result.error);
        resolve({
          ...result,
          spawnToAnswerMs: result.answeredAt - spawnedAt,
          spawnToLoadedMs: result.loadedAt - spawnedAt,
          pipeAnswerMs,
        });
      } catch (error) {
        reject(
          new Error(`cold start run failed: ${/** @type {Error} */ (error).message}\n${stderr}`),
        );
      }
    });
  });
}

/**
 * `runs` fresh processes per bundle, alternating which goes first; `eventFor(name)` writes a fresh
 * first request for each run (or answers undefined: import only).
 * @template {string} Name
 * @param {{ bundles: Record<Name, { file: string }>, names: Name[], runs: number, exportName: string,
 *   env: Record<string, string>, contextFile: string,
 *   eventFor: (name: Name) => string | undefined }} options
 * @returns {Promise<Record<Name, Record<string, any>[]>>}
 */
async function sampleAlternating({ bundles, names, runs, exportName, env, contextFile, eventFor }) {
  const samples = /** @type {Record<Name, Record<string, any>[]>} */ (
    /** @type {unknown} */ (Object.fromEntries(names.map((name) => [name, []])))
  );
  for (let run = 0; run < runs; run += 1) {
    const order = run % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      samples[name].push(
        await coldRun({
          bundle: bundles[name].file,
          exportName,
          env,
          eventFile: eventFor(name),
          contextFile,
        }),
      );
    }
  }
  return samples;
}

/**
 * One side of the comparison: the bundle's size and the medians (and spread) of each timing.
 * @param {Record<string, any>[]} samples
 * @param {number} bundleBytes
 */
function summarizeSide(samples, bundleBytes) {
  const stat = (/** @type {string} */ field) =>
    summarize(samples.map((sample) => sample[field]).filter(Number.isFinite));
  return {
    bundleBytes,
    spawnToAnswerMs: stat('spawnToAnswerMs'),
    pipeAnswerMs: stat('pipeAnswerMs'),
    // Spawn to the handler loaded, what Lambda reports as Init Duration.
    initMs: stat('spawnToLoadedMs'),
    processCpuMs: stat('processCpuMs'),
    bootMs: stat('bootMs'),
    importMs: stat('importMs'),
    firstInvokeMs: stat('invokeMs'),
    firstInvokeCpuMs: stat('invokeCpuMs'),
    statuses: samples.reduce(
      (counts, sample) => {
        counts[String(sample.status)] = (counts[String(sample.status)] ?? 0) + 1;
        return counts;
      },
      /** @type {Record<string, number>} */ ({}),
    ),
  };
}

module.exports = { coldRun, sampleAlternating, summarizeSide };
