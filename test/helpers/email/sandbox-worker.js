/**
 * Runs the sandbox email provider in a worker thread, so its timestamps are taken on an event loop
 * of its own, not one shared with the batchers under test (which would delay them by tens of ms).
 */
const { isMainThread, parentPort, Worker, workerData } = require('node:worker_threads');

if (!isMainThread && parentPort) {
  const port = parentPort;
  const { startEmailSandbox } = require('../../../local/sandboxes/email-sandbox');
  startEmailSandbox({ port: 0, token: workerData.token }).then(
    (sandbox) => {
      port.postMessage({ url: sandbox.url });
      port.on('message', () => {
        sandbox.close().then(() => process.exit(0));
      });
    },
    (error) => port.postMessage({ error: String(error) }),
  );
}

/**
 * Starts a sandbox in a worker; read it over HTTP (`GET /sandbox/messages`).
 * @param {{ token: string }} options
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
function startSandboxWorker({ token }) {
  const worker = new Worker(__filename, { workerData: { token } });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (/** @type {{ url?: string, error?: string }} */ message) => {
      if (!message.url) return reject(new Error(message.error ?? 'the sandbox did not start'));
      resolve({
        url: message.url,
        close: () =>
          new Promise((done) => {
            worker.once('exit', () => done());
            worker.postMessage('close');
          }),
      });
    });
  });
}

module.exports = { startSandboxWorker };
