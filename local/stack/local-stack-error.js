/**
 * A problem the developer can fix (a port taken, Java missing, a bad seed file). Its message is
 * written to be shown as is, without a stack trace.
 */
class LocalStackError extends Error {
  /**
   * @param {string} message
   * @param {ErrorOptions} [options]
   */
  constructor(message, options) {
    super(message, options);
    this.name = 'LocalStackError';
  }
}

module.exports = { LocalStackError };
