import { Pacer, ProgressBar } from '../../../../../tools/dlq/output/progress';

describe('replay pacing', () => {
  it('spaces slots evenly at the rate and makes up no lost time with a burst', async () => {
    let now = 0;
    const slept: number[] = [];
    const pacer = new Pacer(
      10,
      () => now,
      async (ms) => {
        slept.push(ms);
        now += ms;
      },
    );

    await pacer.wait();
    await pacer.wait();
    await pacer.wait();
    now += 1000; // a slow stretch
    await pacer.wait();
    await pacer.wait();

    expect(slept).toEqual([100, 100, 100]);
    expect(now).toBe(1300);
  });
});

describe('replay progress', () => {
  const stream = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, isTTY, write: (text: string) => writes.push(text) };
  };

  it('prints a plain line at each tenth when stderr is not a terminal', () => {
    const out = stream(false);
    const bar = new ProgressBar({ stream: out, total: 20, label: 'replay', now: () => 1000 });

    for (let index = 0; index < 20; index += 1) bar.tick();
    bar.finish();

    expect(out.writes).toHaveLength(10);
    expect(out.writes.every((line) => line.endsWith('\n') && !line.includes('\r'))).toBe(true);
    expect(out.writes.at(-1)).toMatch(/^replay \[#{30}\] 20\/20 100% /);
  });

  it('redraws one line on a terminal', () => {
    const out = stream(true);
    let now = 0;
    const bar = new ProgressBar({ stream: out, total: 4, label: 'replay', now: () => now });

    for (let index = 0; index < 4; index += 1) {
      now += 500;
      bar.tick();
    }
    bar.finish();

    expect(out.writes.slice(0, 4).every((text) => text.startsWith('\r'))).toBe(true);
    expect(out.writes[3]).toContain('4/4 100% 2.0/s');
    expect(out.writes.at(-1)).toBe('\n');
  });
});
