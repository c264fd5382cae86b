import { readFileSync } from 'node:fs';
import { pickFreePort } from '../../../local/ports';

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
});
