import {
  NOT_BEFORE,
  nextHop,
  retryDelaySeconds,
} from '../../../../functions/workflow-trigger/schedule';

const SETTINGS = { baseSeconds: 60, maxSeconds: 7200 };
const NOW_MS = 1_700_000_000_000;

describe('retryDelaySeconds', () => {
  it('waits up to base x 2^(attempt-1): the ceiling doubles with each attempt', () => {
    const atCeiling = () => 1;

    expect(
      [1, 2, 3, 4, 5].map((attempt) => retryDelaySeconds(attempt, SETTINGS, atCeiling)),
    ).toEqual([60, 120, 240, 480, 960]);
  });

  it('caps the ceiling at maxSeconds', () => {
    expect(retryDelaySeconds(8, SETTINGS, () => 1)).toBe(7200);
    expect(retryDelaySeconds(30, SETTINGS, () => 1)).toBe(7200);
  });

  it('draws the wait uniformly below the ceiling (full jitter), never below 1 s', () => {
    expect(retryDelaySeconds(3, SETTINGS, () => 0)).toBe(1);
    expect(retryDelaySeconds(3, SETTINGS, () => 0.5)).toBe(120);
    expect(retryDelaySeconds(3, SETTINGS, () => 0.999)).toBe(240);
  });

  it('stays within [1, ceiling] for any random draw', () => {
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      const ceiling = Math.min(7200, 60 * 2 ** (attempt - 1));
      for (const draw of [0, 0.001, 0.25, 0.5, 0.75, 0.9999]) {
        const seconds = retryDelaySeconds(attempt, SETTINGS, () => draw);
        expect(seconds).toBeGreaterThanOrEqual(1);
        expect(seconds).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it("never retries sooner than the engine's Retry-After", () => {
    expect(retryDelaySeconds(1, SETTINGS, () => 0, 300)).toBe(300);
    expect(retryDelaySeconds(1, SETTINGS, () => 0.5, 12.2)).toBe(30);
    expect(retryDelaySeconds(1, SETTINGS, () => 0, 12.2)).toBe(13);
  });

  it('lets Retry-After go past the cap: the engine knows when it is back', () => {
    expect(retryDelaySeconds(8, SETTINGS, () => 1, 10_000)).toBe(10_000);
  });
});

describe('nextHop', () => {
  it('sends a wait of up to 900 s in one hop, with no later hop', () => {
    expect(nextHop(42, NOW_MS)).toEqual({ delaySeconds: 42, attributes: { [NOT_BEFORE]: '0' } });
    expect(nextHop(900, NOW_MS)).toEqual({
      delaySeconds: 900,
      attributes: { [NOT_BEFORE]: '0' },
    });
  });

  it('rounds a fraction up and never sends a delay under 1 s', () => {
    expect(nextHop(0.2, NOW_MS).delaySeconds).toBe(1);
    expect(nextHop(0, NOW_MS).delaySeconds).toBe(1);
    expect(nextHop(4.1, NOW_MS).delaySeconds).toBe(5);
  });

  it('chains a longer wait: the first hop is 900 s and the message carries when the wait ends', () => {
    expect(nextHop(2000, NOW_MS)).toEqual({
      delaySeconds: 900,
      attributes: { [NOT_BEFORE]: String(NOW_MS + 2_000_000) },
    });
  });

  it('reaches the end of a two-hour wait in hops of at most 900 s', () => {
    const end = NOW_MS + 7200 * 1000;
    let now = NOW_MS;
    let remaining = 7200;
    const hops: number[] = [];
    while (remaining > 0) {
      const hop = nextHop(remaining, now);
      hops.push(hop.delaySeconds);
      expect(hop.delaySeconds).toBeLessThanOrEqual(900);
      const notBefore = Number(hop.attributes[NOT_BEFORE]);
      // Every hop but the last names the same end; the last needs none.
      if (notBefore !== 0) expect(notBefore).toBe(end);
      now += hop.delaySeconds * 1000;
      remaining = (end - now) / 1000;
    }

    expect(hops).toEqual([900, 900, 900, 900, 900, 900, 900, 900]);
    expect(now).toBe(end);
  });
});
