import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const { findChromium } = require('../../setup/prerequisites') as {
  findChromium: (env: NodeJS.ProcessEnv) => { path?: string; problem?: string };
};
const script = resolve(__dirname, '..', '..', 'setup', 'prerequisites.js');

describe('the prerequisites npm test checks first', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'prerequisites-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** An executable stand-in named `name` in the test's folder. */
  const fakeBinary = (name: string, script = '#!/bin/sh\nexit 0\n') => {
    const file = join(dir, name);
    writeFileSync(file, script);
    chmodSync(file, 0o755);
    return file;
  };

  it('takes CHROMIUM_PATH when it names an executable', () => {
    const chrome = fakeBinary('my-chrome');

    expect(findChromium({ CHROMIUM_PATH: chrome, PATH: '' })).toEqual({ path: chrome });
  });

  it('refuses a CHROMIUM_PATH that is not an executable, naming it', () => {
    expect(findChromium({ CHROMIUM_PATH: join(dir, 'none'), PATH: dir }).problem).toBe(
      `CHROMIUM_PATH=${join(dir, 'none')} is not an executable file`,
    );
  });

  it('finds chromium, then chromium-browser, then Chrome on the PATH', () => {
    const chrome = fakeBinary('google-chrome');
    expect(findChromium({ PATH: dir })).toEqual({ path: chrome });

    const browser = fakeBinary('chromium-browser');
    expect(findChromium({ PATH: dir })).toEqual({ path: browser });
  });

  it('exits 1 within seconds naming every missing piece and how to install it', () => {
    // A `java` that is not there and no browser: only the fake folder and Node's own on the PATH.
    fakeBinary('java', '#!/bin/sh\necho "java: not found" >&2\nexit 127\n');
    const result = spawnSync(process.execPath, [script], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: `${dir}:${resolve(process.execPath, '..')}`, CHROMIUM_PATH: '' },
    });

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Java: java was not found on the PATH');
    expect(result.stderr).toContain('apt-get install default-jre-headless');
    expect(result.stderr).toContain('Chromium: no Chromium found');
    expect(result.stderr).toContain('CHROMIUM_PATH');
    expect(result.stderr).not.toContain('Node.js:');
  });

  it('passes with an old-enough Java 17 and a Chromium, printing what it found', () => {
    fakeBinary('java', '#!/bin/sh\necho \'openjdk version "17.0.15" 2025-04-15\' >&2\n');
    const chromium = fakeBinary('chromium');
    const result = spawnSync(process.execPath, [script], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: `${dir}:${resolve(process.execPath, '..')}` },
    });

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`Java version 17, Chromium ${chromium}`);
  });

  it('refuses a Java older than 17', () => {
    fakeBinary('java', '#!/bin/sh\necho \'java version "1.8.0_402"\' >&2\n');
    fakeBinary('chromium');
    const result = spawnSync(process.execPath, [script], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: `${dir}:${resolve(process.execPath, '..')}` },
    });

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Java: java is version 8, older than 17');
  });
});
