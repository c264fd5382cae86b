// CPU time of processes by PID (Linux /proc), to show where a benchmark's CPU goes.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');

let ticksPerSecond = 0;

/**
 * User plus system CPU milliseconds a process has used so far, or NaN where /proc is unavailable.
 * @param {number} pid
 * @returns {number}
 */
function cpuMs(pid) {
  if (pid === process.pid) {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (!ticksPerSecond) {
      ticksPerSecond =
        Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
    }
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return Number.NaN;
  }
}

/**
 * Starts measuring CPU for named PIDs; `stop()` returns the milliseconds each used since.
 * @param {Record<string, number | undefined>} pids
 */
function cpuMeter(pids) {
  const start = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, pid ? cpuMs(pid) : Number.NaN]),
  );
  return {
    /** @returns {Record<string, number>} */
    stop: () =>
      Object.fromEntries(
        Object.entries(pids).map(([name, pid]) => [
          name,
          pid ? cpuMs(pid) - /** @type {number} */ (start[name]) : Number.NaN,
        ]),
      ),
  };
}

module.exports = { cpuMs, cpuMeter };
