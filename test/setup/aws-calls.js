/**
 * The AWS calls the functions made during the stack's suites (issue 21), kept in
 * test/fixtures/aws-calls.json so the deploy-template test checks the roles without a stack.
 * Each jest run writes its own recording (AWS_CALL_RECORD_FILE, one JSON line per call, see
 * shared/clients/call-recorder.ts); {@link mergeRecordings} folds any number of them into the
 * fixture, so runs in several jest processes can each add theirs.
 */

const fs = require('node:fs');
const path = require('node:path');

/** @typedef {{ function: string, service: string, command: string, resources: string[], keys?: string[] }} Call */

/**
 * A call without what differs between runs: the function's stage prefix and the queue URL's port.
 * @param {Call} call
 * @returns {Call}
 */
function normalise(call) {
  return {
    function: call.function.replace(/^.*?-local-/, ''),
    service: call.service,
    command: call.command.replace(/Command$/, ''),
    resources: call.resources.map((r) =>
      /^https?:\/\//.test(r) ? `queue:${r.split('/').pop()}` : r,
    ),
    ...(call.keys ? { keys: call.keys } : {}),
  };
}

/**
 * Merges recordings (JSON-lines files) into the fixture: the union of the calls, deduplicated and
 * sorted so the file only changes when a call does.
 * @param {string[]} recordings
 * @param {string} fixture
 * @returns {number} how many calls the fixture did not hold yet
 */
function mergeRecordings(recordings, fixture) {
  /** @type {Map<string, Call>} */
  const known = new Map();
  const add = (/** @type {Call} */ call) => known.set(JSON.stringify(call), call);
  if (fs.existsSync(fixture))
    for (const call of JSON.parse(fs.readFileSync(fixture, 'utf8'))) add(call);
  let added = 0;
  let unattributed = 0;
  for (const file of recordings) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const call = normalise(JSON.parse(line));
      // A recorded client outside any function (no AWS_LAMBDA_FUNCTION_NAME, no name given) says
      // nothing about a role: left out, and said so.
      if (call.function === 'unknown') {
        unattributed += 1;
        continue;
      }
      if (!known.has(JSON.stringify(call))) added += 1;
      add(call);
    }
  }
  const calls = [...known.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, c]) => c);
  fs.mkdirSync(path.dirname(fixture), { recursive: true });
  fs.writeFileSync(fixture, `${JSON.stringify(calls, null, 2)}\n`);
  if (unattributed > 0) {
    process.stderr.write(`aws-calls: ${unattributed} recorded calls name no function; left out\n`);
  }
  return added;
}

module.exports = { mergeRecordings, normalise };
