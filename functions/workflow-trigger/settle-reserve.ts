/** Time an invocation keeps back after an engine call, to settle its job (mark, re-send). */
export const SETTLE_RESERVE_MS = 3000;
