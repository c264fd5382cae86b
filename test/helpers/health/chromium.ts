import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

const { findChromium } = require('../../setup/prerequisites') as {
  findChromium: () => { path?: string; problem?: string };
};

/** CHROMIUM_PATH, or a Chromium on the PATH (`npm test` checks for one before any suite runs). */
export function chromiumPath(): string {
  const found = findChromium();
  if (!found.path) throw new Error(`${found.problem}: see "Prerequisites" in README.md`);
  return found.path;
}

/**
 * Headless Chromium in a fresh profile of its own (playwright passes it as --user-data-dir), with
 * nothing that reaches the network by itself. `close` ends the browser and removes the profile.
 */
export async function launchChromium(
  profilePrefix: string,
  options: { viewport?: { width: number; height: number }; deviceScaleFactor?: number } = {},
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), profilePrefix));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath(),
      ...options,
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
    return {
      context,
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}
