import { resolve } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { BrowserContext } from 'playwright-core';
import { launchChromium } from '../helpers/health/chromium';
import { httpUrl, localClientOptions, localStack } from '../helpers/stack/local-stack';

jest.setTimeout(90_000);

/**
 * The screenshot in docs/ (docs/health.md shows it) is refreshed only on request (`UPDATE_SCREENSHOT=1 npm test`), so an
 * ordinary run leaves the work tree clean; otherwise it goes to the git-ignored `.local-state/`.
 */
const SCREENSHOT =
  process.env.UPDATE_SCREENSHOT === '1'
    ? resolve(__dirname, '..', '..', 'docs', 'status-page.png')
    : resolve(__dirname, '..', '..', '.local-state', 'status-page.png');

describe('status page in headless Chromium', () => {
  let context: BrowserContext | undefined;
  let closeChromium: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    // One more scheduled run through serverless offline, so the history has a point for every check.
    const lambda = new LambdaClient({
      ...localClientOptions(15_000),
      endpoint: localStack().lambda,
    });
    try {
      await lambda.send(
        new InvokeCommand({
          FunctionName: 'connector-suite-local-health-probe',
          Payload: JSON.stringify({ source: 'aws.events', 'detail-type': 'Scheduled Event' }),
        }),
      );
    } finally {
      lambda.destroy();
    }
    ({ context, close: closeChromium } = await launchChromium('status-page-chromium-', {
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
    }));
  });

  afterAll(async () => {
    await closeChromium?.();
  });

  it('loads on a phone-sized screen with no failed request or console error, showing every check and its chart', async () => {
    const health = (await (await fetch(httpUrl('/health'))).json()) as {
      checks: Record<string, unknown[]>;
    };
    const page = await (context as BrowserContext).newPage();
    const failed: string[] = [];
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('requestfailed', (request) => failed.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));

    const response = await page.goto(httpUrl('/status'), { waitUntil: 'load' });
    const overall = await page.locator('#overall').getAttribute('data-status');
    const shown = await page.locator('.group .check').evaluateAll((sections) =>
      sections.map((s) => ({
        check: s.getAttribute('data-check'),
        charts: s.querySelectorAll('svg.chart').length,
      })),
    );
    const pageWidth = Number(await page.evaluate('document.documentElement.scrollWidth'));
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();

    expect(response?.status()).toBe(200);
    expect(failed).toEqual([]);
    expect(consoleErrors).toEqual([]);
    // Self-contained: the page itself is the only request.
    expect(requests).toEqual([httpUrl('/status')]);
    expect(['pass', 'warn', 'fail']).toContain(overall);
    expect([...new Set(shown.map((s) => s.check))].sort()).toEqual(
      Object.keys(health.checks).sort(),
    );
    expect(shown.every((s) => s.charts === 1)).toBe(true);
    // Readable on a phone: nothing wider than the screen.
    expect(pageWidth).toBeLessThanOrEqual(390);
  });
});
