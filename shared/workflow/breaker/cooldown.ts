import type { BreakerSettings } from './types';

/** A cool-down with up to a fifth added, so containers do not all come back at the same instant. */
export function jittered(random: () => number, ms: number): number {
  return Math.round(ms * (1 + 0.2 * random()));
}

/** The cool-down after a failed trial: the last one's (the first when unknown), grown, capped. */
export function grownCooldownMs(settings: BreakerSettings, lastMs: number | undefined): number {
  const firstMs = settings.firstCooldownSeconds * 1000;
  const maxMs = settings.cooldownSeconds * 1000;
  const grown = Math.round((lastMs ?? firstMs) * settings.cooldownGrowth);
  return Math.min(maxMs, Math.max(firstMs, grown));
}
