import { AsyncLocalStorage } from 'node:async_hooks';
import { once } from 'node:events';
import {
  bindToDeadline,
  currentDeadline,
  currentSignal,
  remainingMs,
  runWithinDeadline,
} from '../../../../shared/clients/deadline';

/** A client whose `send` only records the options it was given. */
class RecordingClient {
  readonly options: unknown[] = [];

  async send(_command: unknown, options?: unknown): Promise<string> {
    this.options.push(options);
    return 'sent';
  }

  /** The abort signal of the `index`th call. */
  signalOf(index: number): AbortSignal | undefined {
    return (this.options[index] as { abortSignal?: AbortSignal } | undefined)?.abortSignal;
  }
}

/** Settings whose work deadline never passes during a test. */
const LONG = { deadlineMs: 60_000, cleanupReserveMs: 1_000 };

describe('bindToDeadline', () => {
  it('returns the same client', () => {
    const client = new RecordingClient();

    expect(bindToDeadline(client)).toBe(client);
  });

  it('passes no signal, and the options as given, outside a deadline', async () => {
    const client = bindToDeadline(new RecordingClient());
    const options = { requestTimeout: 5 };

    await client.send('command');
    await client.send('command', options);

    expect(client.options).toEqual([undefined, options]);
    expect(client.options[1]).toBe(options);
  });

  it('passes the work signal inside a deadline, and still returns the answer', async () => {
    const client = bindToDeadline(new RecordingClient());

    const answer = await runWithinDeadline(LONG, async () => {
      await client.send('command');
      return currentDeadline();
    });

    expect(answer).toBeDefined();
    expect(client.signalOf(0)).toBe(answer?.work);
    expect(client.signalOf(0)?.aborted).toBe(false);
  });

  it('keeps the other options of the caller beside the signal', async () => {
    const client = bindToDeadline(new RecordingClient());

    await runWithinDeadline(LONG, () => client.send('command', { requestTimeout: 5 }));

    expect(client.options[0]).toMatchObject({ requestTimeout: 5 });
    expect(client.signalOf(0)).toBeInstanceOf(AbortSignal);
  });

  it('leaves a callback in place of options alone', async () => {
    const client = bindToDeadline(new RecordingClient());
    const callback = () => undefined;

    await runWithinDeadline(LONG, () => client.send('command', callback));

    expect(client.options[0]).toBe(callback);
  });

  it('follows the deadline across awaits and timers', async () => {
    const client = bindToDeadline(new RecordingClient());

    const work = await runWithinDeadline(LONG, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await Promise.resolve().then(() => client.send('command'));
      return currentDeadline()?.work;
    });

    expect(client.signalOf(0)).toBe(work);
  });

  it('gives concurrent deadlines their own signals', async () => {
    const client = bindToDeadline(new RecordingClient());

    const [first, second] = await Promise.all([
      runWithinDeadline(LONG, async () => {
        await client.send('first');
        return currentSignal();
      }),
      runWithinDeadline(LONG, async () => {
        await client.send('second');
        return currentSignal();
      }),
    ]);

    expect(first).not.toBe(second);
    expect([client.signalOf(0), client.signalOf(1)]).toEqual([first, second]);
  });

  it('keeps a deadline that overlaps no other out of AsyncLocalStorage, and leaves none behind', async () => {
    // On Node 22 the first AsyncLocalStorage.run installs promise hooks that tax every invocation
    // after it; Lambda runs one invocation at a time, so it should never come to that.
    const run = jest.spyOn(AsyncLocalStorage.prototype, 'run');
    try {
      const client = bindToDeadline(new RecordingClient());
      const seen: (AbortSignal | undefined)[] = [];
      for (const name of ['first', 'second']) {
        seen.push(
          await runWithinDeadline(LONG, async () => {
            await client.send(name);
            await new Promise((resolve) => setImmediate(resolve));
            return currentSignal();
          }),
        );
      }

      expect(run).not.toHaveBeenCalled();
      expect(seen[0]).toBeDefined();
      expect(seen[0]).not.toBe(seen[1]);
      expect([client.signalOf(0), client.signalOf(1)]).toEqual(seen);
      expect(currentDeadline()).toBeUndefined();
    } finally {
      run.mockRestore();
    }
  });

  it('gives a deadline started inside another its own, and the outer one its own again after', async () => {
    const client = bindToDeadline(new RecordingClient());

    const [outer, inner, outerAfter] = await runWithinDeadline(LONG, async () => {
      const before = currentSignal();
      const nested = await runWithinDeadline(LONG, async () => {
        await client.send('inner');
        return currentSignal();
      });
      await client.send('outer');
      return [before, nested, currentSignal()];
    });

    expect(inner).not.toBe(outer);
    expect(outerAfter).toBe(outer);
    expect([client.signalOf(0), client.signalOf(1)]).toEqual([inner, outer]);
  });

  it('passes the cleanup signal to a call made after the work signal aborted', async () => {
    const client = bindToDeadline(new RecordingClient());

    const deadline = await runWithinDeadline(
      { deadlineMs: 60_000, cleanupReserveMs: 59_950 },
      async () => {
        const started = currentDeadline();
        if (!started) throw new Error('no deadline');
        await once(started.work, 'abort');
        await client.send('delete in-progress record');
        return started;
      },
    );

    expect(deadline.work.aborted).toBe(true);
    expect(client.signalOf(0)).toBe(deadline.cleanup);
    expect(client.signalOf(0)?.aborted).toBe(false);
  });

  it("combines a caller's own signal with the deadline's: the caller aborting aborts the call", async () => {
    const client = bindToDeadline(new RecordingClient());
    const caller = new AbortController();

    const work = await runWithinDeadline(LONG, async () => {
      await client.send('command', { abortSignal: caller.signal });
      return currentDeadline()?.work;
    });
    const combined = client.signalOf(0);
    caller.abort(new Error('caller gave up'));

    expect(combined).not.toBe(caller.signal);
    expect(combined).not.toBe(work);
    expect(combined?.aborted).toBe(true);
    expect(work?.aborted).toBe(false);
  });

  it("combines a caller's own signal with the deadline's: the deadline aborting aborts the call", async () => {
    const client = bindToDeadline(new RecordingClient());
    const caller = new AbortController();

    await runWithinDeadline({ deadlineMs: 60_000, cleanupReserveMs: 59_950 }, async () => {
      await client.send('command', { abortSignal: caller.signal });
      const combined = client.signalOf(0);
      if (!combined) throw new Error('no signal passed');
      await once(combined, 'abort');
    });

    expect(client.signalOf(0)?.aborted).toBe(true);
    expect(caller.signal.aborted).toBe(false);
  });

  it('is harmless to bind twice: one send per call, with the plain work signal', async () => {
    const client = new RecordingClient();
    const spy = jest.spyOn(client, 'send');
    const twice = bindToDeadline(bindToDeadline(client));

    const work = await runWithinDeadline(LONG, async () => {
      await twice.send('command');
      return currentDeadline()?.work;
    });

    expect(twice).toBe(client);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(client.signalOf(0)).toBe(work);
  });
});

describe('remainingMs', () => {
  it('is undefined outside a deadline', () => {
    expect(remainingMs()).toBeUndefined();
    expect(currentSignal()).toBeUndefined();
  });

  it('counts down to the end of the cleanup reserve, never below zero', async () => {
    const seen = await runWithinDeadline(
      { deadlineMs: 10_000, cleanupReserveMs: 2_000 },
      async () => {
        const endsAt = currentDeadline()?.endsAt ?? Number.NaN;
        return {
          atStart: remainingMs(endsAt - 10_000),
          halfway: remainingMs(endsAt - 5_000),
          after: remainingMs(endsAt + 1),
          now: remainingMs(),
        };
      },
    );

    expect(seen).toMatchObject({ atStart: 10_000, halfway: 5_000, after: 0 });
    expect(seen.now).toBeGreaterThan(0);
    expect(seen.now).toBeLessThanOrEqual(10_000);
  });
});
