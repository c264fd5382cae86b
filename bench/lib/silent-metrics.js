/**
 * Powertools Metrics for a function built into the bench's own process: counted by the bench through
 * the function's telemetry, never printed (each flush would print an EMF line among the figures).
 * Disabled through the variable Powertools reads when the instance is made, set for that moment only,
 * so the functions of the bench's local stack still emit theirs.
 * @param {string} [namespace]
 */
function silentMetrics(namespace = 'Bench') {
  const { Metrics } = require('@aws-lambda-powertools/metrics');
  const before = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  try {
    return new Metrics({ namespace });
  } finally {
    if (before === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = before;
  }
}

module.exports = { silentMetrics };
