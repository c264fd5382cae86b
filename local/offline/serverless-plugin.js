const fs = require('node:fs');
const path = require('node:path');
const { LOCAL_REGION } = require('../stack/cloudformation-local');
const {
  applyLocalAwsEnvironment,
  rewriteFunctionEnvironments,
  useEmailSandbox,
  useWorkflowSandbox,
} = require('../stack/local-environment');
const { skipConfigValidation } = require('./config-validation');
const {
  localEndpoints,
  startDynamoDbLocalEarly,
  startLocalStack,
  topologyFor,
} = require('../stack/local-stack');
const { LocalStackError } = require('../stack/local-stack-error');
const { buildFunctionsForOffline, isOfflineStart } = require('./build');
const { LOG_FILE_ENV, localLogFile, teeJsonLogs } = require('../stack/log-file');
const {
  localSchedulePeriod,
  scheduledFunctions,
  startLocalSchedule,
} = require('../stack/local-schedule');
const { offlineSettings } = require('./settings');
const { checkDeployConfig, checkLocalConfig } = require('../stack/preflight');
const { secretSeedFile } = require('../secrets/secret-store');
const { assertPortFree, readLocalPorts } = require('../stack/ports');
const { sqsSubscriptions, startSqsEventSources } = require('../sqs/event-wiring');
const { formatStackReport, stackState, writeStateFile } = require('../stack/stack-report');

/**
 * Serverless plugin for local runs. On `serverless offline start` it brings up the SQS emulator,
 * DynamoDB Local and the Secrets Manager endpoint before serverless-offline starts, creates the queues
 * and tables of `resources/`, points every handler at them, and feeds SQS events to the functions
 * through serverless-offline's Lambda API. On `serverless invoke local --stage local` it only points
 * the handler at the servers of a running `npm run dev`.
 */
class LocalStackPlugin {
  /**
   * @param {any} serverless
   * @param {Record<string, any>} options CLI options
   * @param {{ log?: any }} [utils]
   */
  constructor(serverless, options, utils = {}) {
    this.serverless = serverless;
    this.options = options;
    const log = utils.log ?? console;
    this.log = {
      info: (/** @type {string} */ m) => (log.notice ?? log.info).call(log, m),
      warn: (/** @type {string} */ m) => (log.warning ?? log.warn).call(log, m),
      debug: (/** @type {string} */ m) => log.debug?.call(log, m),
    };
    /** @type {import('../stack/local-stack').LocalStack | undefined} */
    this.stack = undefined;
    /** @type {Promise<import('../stack/local-stack').LocalStack> | undefined} the stack while it starts */
    this.stackStarting = undefined;
    // `offline start` leaves the framework's schema validation of serverless.yml to `npm run package`
    // (about 2 s of every start): see local/offline/config-validation.js.
    if (isOfflineStart(serverless)) skipConfigValidation(serverless, this.log.debug);
    /**
     * DynamoDB Local, started now on `offline start`: its JVM is the slowest local server to answer,
     * and the framework still has seconds of loading and bundling ahead. start() hands it to the stack
     * (which then owns it) once the preflight passes; stop() stops it if nothing took it.
     * @type {Promise<import('../stack/local-stack').DynamoDbLocalServer> | undefined}
     */
    this.dynamodbStarting = isOfflineStart(serverless) ? this.startDynamoDbEarly() : undefined;
    /** @type {{ stop: () => Promise<void> } | undefined} */
    this.eventSources = undefined;
    /** @type {{ buildDir: string, entries: string[], stop: () => Promise<void> } | undefined} */
    this.build = undefined;
    /** @type {{ stop: () => void } | undefined} */
    this.schedule = undefined;
    /** @type {string | undefined} */
    this.stateFile = undefined;
    /** @type {import('../stack/log-file').LogSink | undefined} */
    this.logSink = undefined;
    this.onEarlySignal = () => {
      this.stop().finally(() => process.exit(130));
    };

    this.hooks = {
      initialize: () => this.guard(() => this.prepareInvokeLocal()),
      // `serverless package` and `deploy`: a route that could only dead-letter is refused here.
      'before:package:initialize': () =>
        this.guard(() => checkDeployConfig({ serverless: this.serverless, log: this.log })),
      'before:offline:start:init': () => this.guard(() => this.start()),
      // After the build (start() awaits it), before serverless-offline's own init (this plugin comes
      // first) starts the HTTP servers: nothing is served before the stack answers.
      'offline:start:init': () => this.guard(() => this.awaitStack()),
      'after:offline:start:init': () => this.guard(() => this.startEventSources()),
      // From here serverless-offline handles SIGINT and SIGTERM and runs the end hooks.
      'before:offline:start:ready': () => this.releaseSignals(),
      'before:offline:start:end': () => this.stop(),
      error: () => this.stop(),
    };
  }

  /** DynamoDB Local on its configured port; undefined when the ports are invalid (start() says so). */
  startDynamoDbEarly() {
    let port;
    try {
      port = readLocalPorts().dynamodb;
    } catch {
      return undefined;
    }
    const starting = startDynamoDbLocalEarly({ port, log: this.log });
    // Its failure is reported where it is awaited: in the stack's start, after the preflight.
    starting.catch(() => undefined);
    return starting;
  }

  /** Shows a LocalStackError as a plain framework error (message, exit code 1), after cleaning up. */
  async guard(/** @type {() => Promise<void> | void} */ step) {
    try {
      await step();
    } catch (error) {
      await this.stop();
      // A failure after the build: end the esbuild service process now, which would otherwise die with
      // a Go stack dump when this process exits under it.
      require('esbuild').stop();
      // A watcher or server left open would keep a failed `offline start` alive after the framework
      // has printed the error; the timer does not keep the process alive by itself.
      setTimeout(() => process.exit(process.exitCode || 1), 1000).unref();
      if (error instanceof LocalStackError) throw new this.serverless.classes.Error(error.message);
      throw error;
    }
  }

  get stage() {
    return this.serverless.getProvider('aws').getStage();
  }

  get stackName() {
    return this.serverless.getProvider('aws').naming.getStackName();
  }

  /** `invoke local` on the local stage: local URLs in the environment, no servers started. */
  prepareInvokeLocal() {
    const commands = this.serverless.processedInput?.commands ?? [];
    if (commands.join(' ') !== 'invoke local' || this.stage !== 'local') return;
    const ports = readLocalPorts();
    const topology = topologyFor(this.serverless.service.resources?.Resources, {
      sqsPort: ports.sqs,
      stackName: this.stackName,
      warn: this.log.warn,
    });
    rewriteFunctionEnvironments(this.serverless.service, topology.resolve);
    const endpoints = localEndpoints(ports);
    useEmailSandbox(this.serverless.service, endpoints.emailSandbox);
    useWorkflowSandbox(this.serverless.service, endpoints.workflowSandbox);
    applyLocalAwsEnvironment(process.env, ports);
    this.log.debug('invoke local uses the local servers of a running "npm run dev"');
  }

  /** The host and ports serverless-offline will use (CLI options over `custom.serverless-offline`). */
  offlineSettings() {
    return offlineSettings(this.serverless.service, this.options);
  }

  async start() {
    const ports = readLocalPorts();
    const offline = this.offlineSettings();
    // Every server's URL follows from its port: the preflight checks the sandboxes' like any other.
    const endpoints = localEndpoints(ports);
    useWorkflowSandbox(this.serverless.service, endpoints.workflowSandbox);
    useEmailSandbox(this.serverless.service, endpoints.emailSandbox);
    // Config mistakes fail here, before any server starts, instead of at the first request.
    await checkLocalConfig({
      serverless: this.serverless,
      stage: this.stage,
      ports,
      log: this.log,
    });
    await assertPortFree({ port: offline.httpPort, label: 'HTTP API', envVar: 'HTTP_PORT' });
    await assertPortFree({ port: offline.lambdaPort, label: 'Lambda API', envVar: 'LAMBDA_PORT' });

    process.once('SIGINT', this.onEarlySignal);
    process.once('SIGTERM', this.onEarlySignal);
    this.watchParent();

    const serviceDir = this.serverless.serviceDir ?? process.cwd();
    // The handlers' JSON lines also go to a file, for `npm run trace`; the console shows them as ever.
    this.logSink = teeJsonLogs({ file: localLogFile({ serviceDir }) });
    this.log.info(`JSON logs appended to ${this.logSink.file} (${LOG_FILE_ENV} to change)`);
    const resources = this.serverless.service.resources?.Resources;
    // The servers start while the functions are bundled (below): their URLs follow from the ports, so
    // the functions' environment is set now; awaitStack() waits for them before serverless-offline
    // starts serving.
    this.stackStarting = startLocalStack({
      resources,
      stackName: this.stackName,
      ports,
      secretsFile: secretSeedFile(serviceDir),
      log: this.log,
      dynamodbStarting: this.dynamodbStarting,
    });
    // The stack owns DynamoDB Local from here, and stops it on any failure.
    this.dynamodbStarting = undefined;
    // Awaited (and its failure reported) in awaitStack; stop() waits for it too.
    this.stackStarting.catch(() => undefined);
    const topology = topologyFor(resources, { sqsPort: ports.sqs, stackName: this.stackName });
    rewriteFunctionEnvironments(this.serverless.service, topology.resolve);
    applyLocalAwsEnvironment(process.env, ports);
    await this.buildFunctions(serviceDir);
  }

  /**
   * Bundles every function (one esbuild call) while the servers start, and points serverless-offline
   * at the bundles, as serverless-esbuild would have.
   * @param {string} serviceDir
   */
  async buildFunctions(serviceDir) {
    const service = this.serverless.service;
    const started = performance.now();
    this.build = await buildFunctionsForOffline({
      serviceDir,
      functions: service.functions ?? {},
      custom: service.custom?.esbuild ?? {},
      onRebuild: () => this.serverless.pluginManager.spawn('offline:functionsUpdated'),
      log: this.log.info,
      watch: Boolean(process.stdout.isTTY),
    });
    service.custom = service.custom ?? {};
    service.custom['serverless-offline'] = {
      ...service.custom['serverless-offline'],
      location: path.relative(serviceDir, this.build.buildDir),
    };
    this.log.debug(
      `Bundled ${this.build.entries.length} functions in ${Math.round(performance.now() - started)} ms`,
    );
  }

  /** After serverless-offline listens: SQS event sources, then the report and the state file. */
  async awaitStack() {
    if (this.stackStarting) this.stack = await this.stackStarting;
  }

  async startEventSources() {
    if (!this.stack) return;
    const offline = this.offlineSettings();
    const service = this.serverless.service;
    const subscriptions = sqsSubscriptions(service, this.stack.topology, this.log.warn);
    const lambda = `http://${offline.host}:${offline.lambdaPort}`;
    this.eventSources = await startSqsEventSources({
      subscriptions,
      lambdaEndpoint: lambda,
      sqsEndpoint: this.stack.endpoints.sqs,
      log: this.log,
      ...(this.logSink ? { journal: this.logSink.write } : {}),
    });
    this.schedule = startLocalSchedule({
      functions: scheduledFunctions(service),
      lambdaEndpoint: lambda,
      periodSeconds: localSchedulePeriod(),
      log: this.log,
    });
    const state = stackState({
      pid: process.pid,
      stage: this.stage,
      region: LOCAL_REGION,
      http: `http://${offline.host}:${offline.httpPort}`,
      lambda,
      stack: this.stack,
      subscriptions,
      functions: service
        .getAllFunctions()
        .map((/** @type {string} */ key) => ({ key, name: service.getFunction(key).name })),
      logFile: this.logSink?.file,
    });
    this.log.info(formatStackReport(state));
    // Tools such as `npm run dlq` find the stack of `npm run dev` through this file.
    const serviceDir = this.serverless.serviceDir ?? process.cwd();
    this.stateFile = path.resolve(
      process.env.LOCAL_STACK_STATE_FILE ?? path.join(serviceDir, '.local-state', 'dev-stack.json'),
    );
    writeStateFile(this.stateFile, state);
  }

  /**
   * A stack started by a test run (LOCAL_STACK_PARENT_PID) stops itself when that run is gone, so a
   * killed jest leaves no servers behind.
   */
  watchParent() {
    const parent = Number(process.env.LOCAL_STACK_PARENT_PID);
    if (!Number.isInteger(parent) || parent <= 0) return;
    const timer = setInterval(() => {
      try {
        process.kill(parent, 0);
      } catch {
        clearInterval(timer);
        this.log.warn(`Process ${parent} that started this stack is gone: stopping.`);
        process.kill(process.pid, 'SIGTERM');
      }
    }, 1000);
    timer.unref();
  }

  releaseSignals() {
    process.off('SIGINT', this.onEarlySignal);
    process.off('SIGTERM', this.onEarlySignal);
  }

  /** Stops the event sources, then every server and child process; safe to call more than once. */
  async stop() {
    this.releaseSignals();
    this.schedule?.stop();
    this.schedule = undefined;
    const eventSources = this.eventSources;
    // A stack still starting is stopped once it has started (a failed start stopped itself).
    const stack = this.stack ?? (await this.stackStarting?.catch(() => undefined));
    this.eventSources = undefined;
    this.stack = undefined;
    this.stackStarting = undefined;
    await eventSources?.stop();
    const build = this.build;
    this.build = undefined;
    await build?.stop().catch((error) => this.log.warn(`Stopping the bundler failed: ${error}`));
    // Started early and never handed to a stack (the preflight or a port check failed).
    const early = this.dynamodbStarting;
    this.dynamodbStarting = undefined;
    await (await early?.catch(() => undefined))?.stop();
    if (stack) {
      await stack.stop();
      // A stale state file would send tests to servers that are gone.
      if (this.stateFile) fs.rmSync(this.stateFile, { force: true });
      this.log.info('Local stack stopped.');
    }
    const sink = this.logSink;
    this.logSink = undefined;
    await sink?.close();
  }
}

module.exports = LocalStackPlugin;
