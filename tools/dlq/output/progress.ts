/** Where progress goes: stderr, whose `isTTY` decides between a bar and plain lines. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

const WIDTH = 30;

/**
 * A progress bar on a terminal (redrawn at most ten times a second), plain lines at every tenth
 * otherwise (a CI log or a pipe must not fill with carriage returns).
 */
export class ProgressBar {
  readonly #stream: ProgressStream;
  readonly #total: number;
  readonly #label: string;
  readonly #now: () => number;
  readonly #started: number;
  #done = 0;
  #lastDraw = 0;
  #lastTenth = 0;

  constructor(options: {
    stream: ProgressStream;
    total: number;
    label: string;
    now?: () => number;
  }) {
    this.#stream = options.stream;
    this.#total = options.total;
    this.#label = options.label;
    this.#now = options.now ?? Date.now;
    this.#started = this.#now();
  }

  /** One more done. */
  tick(): void {
    this.#done += 1;
    if (this.#stream.isTTY) {
      const now = this.#now();
      if (now - this.#lastDraw >= 100 || this.#done === this.#total) {
        this.#lastDraw = now;
        this.#stream.write(`\r${this.line()}`);
      }
      return;
    }
    const tenth = Math.floor((this.#done * 10) / Math.max(1, this.#total));
    if (tenth > this.#lastTenth) {
      this.#lastTenth = tenth;
      this.#stream.write(`${this.line()}\n`);
    }
  }

  /** Ends the bar's line on a terminal. */
  finish(): void {
    if (this.#stream.isTTY && this.#total > 0) this.#stream.write('\n');
  }

  /** `replay [#########---------------------] 12/40 30% 9.8/s`. */
  line(): string {
    const share = this.#total === 0 ? 1 : this.#done / this.#total;
    const filled = Math.round(share * WIDTH);
    const seconds = Math.max(0.001, (this.#now() - this.#started) / 1000);
    return (
      `${this.#label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ` +
      `${this.#done}/${this.#total} ${Math.round(share * 100)}% ${(this.#done / seconds).toFixed(1)}/s`
    );
  }
}

/** Starts of evenly spaced slots, `ratePerSecond` of them a second, shared by concurrent workers. */
export class Pacer {
  readonly #interval: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #next: number | undefined;

  constructor(
    ratePerSecond: number,
    now: () => number = Date.now,
    sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  ) {
    this.#interval = 1000 / ratePerSecond;
    this.#now = now;
    this.#sleep = sleep;
  }

  /** Waits for the next free slot. A slow stretch is not made up by a burst afterwards. */
  async wait(): Promise<void> {
    const now = this.#now();
    const slot = Math.max(now, this.#next ?? now);
    this.#next = slot + this.#interval;
    if (slot > now) await this.#sleep(slot - now);
  }
}
