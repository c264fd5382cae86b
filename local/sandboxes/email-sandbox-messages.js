// What the sandbox email provider takes, as Postmark does: its limits, which message of a batch it
// refuses (and with which ErrorCode), and which call it refuses whole.

const MAX_MESSAGES = 500;
const MAX_BYTES = 50 * 1024 * 1024;
const MAX_RECIPIENTS = 50;
const ADDRESS = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;".]+$/;

/** Postmark's messages for the codes the sandbox answers. */
const CODE_MESSAGES = /** @type {Record<number, string>} */ ({
  300: 'Invalid email request',
  406: 'You tried to send to recipient(s) that have been marked as inactive.',
  411: 'Forbidden attachment type',
  10: 'The Server API token you provided is invalid.',
});

/**
 * The bare address of `To` entries (`Name <a@b.c>` gives `a@b.c`), lower-cased.
 * @param {unknown} to
 * @returns {string[]}
 */
function recipients(to) {
  if (typeof to !== 'string') return [];
  return (to.match(/(?:"[^"]*"|[^,])+/g) ?? [])
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => (/<([^<>]+)>\s*$/.exec(part)?.[1] ?? part).trim().toLowerCase());
}

/**
 * The ErrorCode for one message of a batch: 0 to accept it.
 * @param {any} message
 * @param {Record<string, number>} recipientCodes
 * @returns {number}
 */
function errorCodeFor(message, recipientCodes) {
  if (typeof message !== 'object' || message === null) return 300;
  const to = recipients(message.To);
  const from = recipients(message.From);
  if (from.length !== 1 || !ADDRESS.test(from[0] ?? '')) return 300;
  if (to.length === 0 || to.length > MAX_RECIPIENTS || !to.every((a) => ADDRESS.test(a)))
    return 300;
  if (typeof message.Subject !== 'string' || message.Subject === '') return 300;
  if (!message.HtmlBody && !message.TextBody) return 300;
  for (const address of to) {
    for (const [prefix, code] of Object.entries(recipientCodes)) {
      if (address.startsWith(prefix.toLowerCase())) return code;
    }
  }
  return 0;
}

/**
 * The ErrorCode refusing a whole call (0: none): the first message to an address matching `callCodes`.
 * @param {any[]} messages
 * @param {Record<string, number>} callCodes
 */
function wholeCallCode(messages, callCodes) {
  for (const message of messages) {
    for (const address of recipients(message?.To)) {
      for (const [prefix, code] of Object.entries(callCodes ?? {})) {
        if (address.startsWith(prefix.toLowerCase())) return code;
      }
    }
  }
  return 0;
}

module.exports = {
  CODE_MESSAGES,
  MAX_BYTES,
  MAX_MESSAGES,
  errorCodeFor,
  recipients,
  wholeCallCode,
};
