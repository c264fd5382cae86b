import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { BrowserContext } from 'playwright-core';
import { launchChromium } from '../helpers/health/chromium';
import { healthHarness } from '../helpers/health/health-harness';

/**
 * The status page answers "what is wrong?" on its first screen: the probe built in this process
 * against the local servers, with a dead letter waiting and the workflow engine down (nothing listens
 * on its port), serves `/status` through a loopback server, and headless Chromium (launched as the
 * e2e status-page test does) opens it at a laptop's and a phone's size.
 *
 * Screenshots go to the git-ignored `.local-state/`, or to `docs/` with UPDATE_SCREENSHOT=1
 * (SCREENSHOT_NAME=before for the page as it was).
 */

jest.setTimeout(120_000);

const SIZES = [
  { name: 'laptop', width: 1280, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;

const shotPath = (size: string) =>
  resolve(
    __dirname,
    '..',
    '..',
    process.env.UPDATE_SCREENSHOT === '1' ? 'docs' : '.local-state',
    `status-${process.env.SCREENSHOT_NAME ?? 'after'}-${size}.png`,
  );

/** A loopback port nothing listens on: the engine is down. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** Serves one rendered answer (status, headers, body) on loopback. */
async function serve(answer: APIGatewayProxyStructuredResultV2) {
  const server = http.createServer((_request, response) => {
    response.writeHead(answer.statusCode ?? 200, answer.headers as http.OutgoingHttpHeaders);
    response.end(answer.body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/status`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

describe('status page first screen in headless Chromium', () => {
  let context: BrowserContext | undefined;
  let closeChromium: (() => Promise<void>) | undefined;
  let harness: Awaited<ReturnType<typeof healthHarness>>;
  let site: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    harness = await healthHarness({
      env: { WORKFLOW_API_URL: `http://127.0.0.1:${await closedPort()}` },
    });
    await harness.sqs.send(
      new SendMessageCommand({
        QueueUrl: harness.queues.workflowJobsDlq,
        MessageBody: JSON.stringify({ id: 'dead-1', workflow: 'campaign-send', input: {} }),
      }),
    );
    // Two scheduled runs, so the failing checks have a history and a "since".
    await harness.probe();
    await harness.probe();
    site = await serve(await harness.status());
    ({ context, close: closeChromium } = await launchChromium('status-first-screen-'));
  });

  afterAll(async () => {
    await closeChromium?.();
    await site?.close();
    await harness?.close();
  });

  it.each(SIZES)(
    'shows the waiting dead letter and the engine that is down in the first viewport at $width x $height',
    async ({ name, width, height }) => {
      const page = await (context as BrowserContext).newPage();
      await page.setViewportSize({ width, height });
      const requests: string[] = [];
      const consoleErrors: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      await page.goto(site.url, { waitUntil: 'load' });
      await page.screenshot({ path: shotPath(name) });
      const boxes = async (selector: string) =>
        page.locator(selector).evaluateAll((elements) =>
          elements.map((element) => {
            const box = element.getBoundingClientRect();
            return { top: box.top, bottom: box.bottom, text: element.textContent ?? '' };
          }),
        );
      const deadLetters = await boxes('#problems [data-check="dlq:depth"]');
      const engine = await boxes('#problems [data-check="workflow:responseTime"]');
      const pageWidth = Number(await page.evaluate('document.documentElement.scrollWidth'));
      await page.close();

      expect(deadLetters).toHaveLength(1);
      expect(engine).toHaveLength(1);
      for (const box of [...deadLetters, ...engine]) {
        expect(box.top).toBeGreaterThanOrEqual(0);
        expect(box.bottom).toBeLessThanOrEqual(height);
      }
      // What, which component, since when, what to do.
      expect(deadLetters[0]?.text).toContain('1 message');
      expect(deadLetters[0]?.text).toContain('workflow-jobs-dlq');
      expect(deadLetters[0]?.text).toMatch(/since \d{4}-\d{2}-\d{2}T/);
      expect(deadLetters[0]?.text).toContain('npm run dlq');
      expect(engine[0]?.text).toContain('provider unreachable');
      expect(pageWidth).toBeLessThanOrEqual(width);
      // No script and no request but the page itself.
      expect(requests).toEqual([site.url]);
      expect(consoleErrors).toEqual([]);
    },
  );
});
