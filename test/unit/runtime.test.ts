import { readFileSync } from 'node:fs';
import path from 'node:path';

describe('the runtime the tests run on', () => {
  it('is Node 22, the nodejs22.x runtime the functions deploy on', () => {
    const major = Number(process.versions.node.split('.')[0]);
    const minor = Number(process.versions.node.split('.')[1]);
    expect(major).toBe(22);
    expect(minor).toBeGreaterThanOrEqual(13);
  });

  it('matches the esbuild target and the deployed runtime in serverless.yml', () => {
    const template = readFileSync(path.join(__dirname, '..', '..', 'serverless.yml'), 'utf8');
    expect(template).toMatch(/runtime: nodejs22\.x/);
    expect(template).toMatch(/target: node22/);
  });
});
