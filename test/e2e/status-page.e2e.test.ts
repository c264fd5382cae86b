import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { type BrowserContext, chromium } from 'playwright-core';
import { httpUrl, localClientOptions, localStack } from '../helpers/local-stack';

jest.setTimeout(90_000);

/**
 * The README's screenshot is refreshed only on request (`UPDATE_SCREENSHOT=1 npm test`), so an
 * ordinary run leaves the work tree clean; otherwise it goes to the git-ignored `.local-state/`.
 */
const SCREENSHOT =
  process.env.UPDATE_SCREENSHOT === '1'
    ? resolve(__dirname, '..', '..', 'docs', 'status-page.png')
    : resolve(__dirname, '..', '..', '.local-state', 'status-page.png');

const { findChromium } = require('../setup/prerequisites') as {
  findChromium: () => { path?: string; problem?: string };
};

/** CHROMIUM_PATH, or a Chromium on the PATH (`npm test` checks for one before any suite runs). */
function chromiumPath(): string {
  const chromium = findChromium();
  if (!chromium.path) throw new Error(`${chromium.problem}: see "Prerequisites" in README.md`);
  return chromium.path;
}

describe('status page in headless Chromium', () => {
  let context: BrowserContext | undefined;
  let profile: string;

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
    profile = mkdtempSync(join(tmpdir(), 'status-page-chromium-'));
    // A fresh profile per run (playwright passes it to chromium as --user-data-dir).
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath(),
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-quic',
        '--no-first-run',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
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
