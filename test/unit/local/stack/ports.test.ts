import { readFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pickFreePort, reserve } from '../../../../local/stack/ports';

/** The kernel's first source port for outgoing connections (32768 where /proc says nothing). */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]);
  } catch {
    return 32768;
  }
}

describe('pickFreePort', () => {
  it('hands out distinct ports below the range the kernel gives outgoing connections', async () => {
    const ports: number[] = [];
    for (let index = 0; index < 40; index += 1) ports.push(await pickFreePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10000);
      expect(port).toBeLessThan(ephemeralLow());
    }
  });

  it('reserves what it hands out against every process until the reservation is stale', async () => {
    const port = await pickFreePort();
    expect(reserve(port)).toBe(false);
    const stale = new Date(Date.now() - 11 * 60 * 1000);
    utimesSync(path.join(tmpdir(), 'connector-suite-ports', String(port)), stale, stale);
    expect(reserve(port)).toBe(true);
    expect(reserve(port)).toBe(false);
  });
});
