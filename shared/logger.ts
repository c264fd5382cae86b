import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The suite's logger: one JSON line per decision. Service name and level come from
 * `POWERTOOLS_SERVICE_NAME` and `POWERTOOLS_LOG_LEVEL`. Never log secrets or payload bodies at info.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'connector-suite',
});
