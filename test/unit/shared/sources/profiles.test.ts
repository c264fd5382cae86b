import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import bundled from '../../../../config/sources.json';
import { ConfigError } from '../../../../shared/errors';
import { sourceProfiles } from '../../../../shared/sources/profiles';

describe('source profiles', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'source-profiles-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the bundled config/sources.json when SOURCES_FILE is unset, as deployed', () => {
    expect(sourceProfiles({})).toBe(bundled);
    expect(sourceProfiles({ SOURCES_FILE: '  ' })).toBe(bundled);
  });

  it('reads the catalog named by SOURCES_FILE', () => {
    const file = path.join(dir, 'sources.json');
    writeFileSync(file, JSON.stringify({ local: { sources: { only: { scheme: 'github' } } } }));

    expect(sourceProfiles({ SOURCES_FILE: file })).toEqual({
      local: { sources: { only: { scheme: 'github' } } },
    });
  });

  it('fails start-up naming SOURCES_FILE when the file is missing or not JSON', () => {
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{ "local": ');

    expect(() => sourceProfiles({ SOURCES_FILE: broken })).toThrow(ConfigError);
    expect(() => sourceProfiles({ SOURCES_FILE: broken })).toThrow(/^SOURCES_FILE .*broken\.json/);
    expect(() => sourceProfiles({ SOURCES_FILE: path.join(dir, 'none.json') })).toThrow(
      /SOURCES_FILE .*none\.json cannot be read/,
    );
  });
});
