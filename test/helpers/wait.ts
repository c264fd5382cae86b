/**
 * The one wait of the test helpers: polls `check` every `stepMs` until it holds and THROWS when
 * `timeoutMs` passes, naming `what` it waited for, so a wait that times out fails its test instead
 * of returning a value the caller may ignore.
 */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  stepMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() >= deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}
