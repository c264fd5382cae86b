/**
 * serverless-esbuild, loaded only for the commands that need it (package, deploy, invoke local, ...).
 *
 * On `offline start` the local plugin bundles the functions itself (local/offline/build.js), and
 * serverless-esbuild would only cost its loading: about a second of CPU (it pulls in `effect` and its
 * schema library) on the path of every `npm run dev`. For every other command this is
 * serverless-esbuild itself: its commands and hooks, bound to its own instance.
 */

const { isOfflineStart } = require('./build');

class EsbuildWhenPackaging {
  /**
   * @param {any} serverless
   * @param {Record<string, any>} options
   * @param {Record<string, any>} [utils]
   */
  constructor(serverless, options, utils) {
    /** @type {Record<string, () => unknown>} */
    this.hooks = {};
    if (isOfflineStart(serverless)) return;
    const ServerlessEsbuild = require('serverless-esbuild');
    const plugin = new ServerlessEsbuild(serverless, options, utils);
    this.plugin = plugin;
    this.hooks = plugin.hooks ?? {};
  }
}

module.exports = EsbuildWhenPackaging;
