const http = require('node:http');
const { batch } = require('./email-sandbox-batch');
const { handleControl, sendJson } = require('./email-sandbox-controls');
const { errorCodeFor, recipients } = require('./email-sandbox-messages');
const { searchOutbound } = require('./email-sandbox-search');
const { holdTimers, initialSettings, newState } = require('./email-sandbox-state');
const { closeServer, listen, LOOPBACK } = require('../stack/ports');

/**
 * A Postmark-compatible sandbox provider for local runs and tests: `POST /email/batch` checks the
 * token, enforces the 500-message and 50 MB limits and answers one result per message; everything it
 * accepts is listed at `GET /sandbox/messages` and found by `GET /messages/outbound` (Postmark's message
 * search, `local/sandboxes/email-sandbox-search.js`). It can be told at run time to misbehave (see
 * docs/local-stack.md, "Sandbox email provider: fault controls"): `POST /sandbox/faults` queues faults for the next calls, `POST /sandbox/settings`
 * changes latency, token and per-recipient error codes, `POST /sandbox/reset` starts afresh.
 *
 * This file starts and stops the server and routes its requests: the provider call is
 * `email-sandbox-batch.js` (what it takes: `email-sandbox-messages.js`, its pace:
 * `email-sandbox-pacing.js`), the control routes `email-sandbox-controls.js`, and what the sandbox
 * records, its settings and faults `email-sandbox-state.js`.
 */

/**
 * Starts the sandbox on 127.0.0.1.
 * @param {{ port?: number, token: string, log?: (message: string) => void }} options port 0 picks one
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void>,
 *   state: import('./email-sandbox-state').SandboxState }>}
 */
async function startEmailSandbox({ port = 0, token, log = () => {} }) {
  const initialToken = token;
  const state = newState(token);
  const timers = holdTimers();
  const { sleep } = timers;

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://sandbox');
    const handle =
      request.method === 'POST' && url.pathname === '/email/batch'
        ? batch(request, response, state, { sleep, log })
        : request.method === 'GET' && url.pathname === '/messages/outbound'
          ? searchOutbound(request, response, url, state, { sendJson, sleep })
          : handleControl(request, response, url, state, () => initialSettings(initialToken));
    handle.catch((error) => {
      log(`sandbox: ${error}`);
      if (!response.headersSent)
        sendJson(response, 500, { ErrorCode: 100, Message: 'Sandbox error' });
    });
  });
  await listen(server, {
    port,
    host: LOOPBACK,
    label: 'Email sandbox',
    envVar: 'LOCAL_EMAIL_PORT',
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://${LOOPBACK}:${address.port}`,
    port: address.port,
    state,
    close: async () => {
      timers.clear();
      await closeServer(server);
    },
  };
}

module.exports = { startEmailSandbox, errorCodeFor, recipients };
