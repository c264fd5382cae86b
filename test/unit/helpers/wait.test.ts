import { waitFor } from '../../helpers/wait';

describe('waitFor', () => {
  it('resolves once the check holds', async () => {
    let polls = 0;
    await waitFor('the third poll', () => ++polls >= 3, 5_000, 1);
    expect(polls).toBe(3);
  });

  it('throws naming what it waited for when the check never holds', async () => {
    await expect(waitFor('a thing that never happens', () => false, 20, 5)).rejects.toThrow(
      /Timed out after 20 ms waiting for a thing that never happens/,
    );
  });

  it('awaits asynchronous checks', async () => {
    let polls = 0;
    await waitFor('an async check', async () => ++polls >= 2, 5_000, 1);
    expect(polls).toBe(2);
  });
});
