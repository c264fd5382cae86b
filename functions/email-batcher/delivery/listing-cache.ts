import type { SearchOutcome } from '../../../shared/email/reconcile';

/** Listings of settled calls, kept per container: a settled call's listing does not change. */
const LISTINGS_KEPT = 200;

/**
 * A container's memory of settled calls' listings, so that the jobs of one call that come back in
 * different batches cost one search, not one each. Only listings made after the call settled are
 * kept: before that the provider may still be indexing it.
 */
export class ListingCache {
  readonly #listings = new Map<string, SearchOutcome>();

  get(ref: string): SearchOutcome | undefined {
    return this.#listings.get(ref);
  }

  set(ref: string, outcome: SearchOutcome): void {
    if (outcome.kind !== 'listed') return;
    this.#listings.delete(ref);
    this.#listings.set(ref, outcome);
    if (this.#listings.size > LISTINGS_KEPT) {
      const oldest = this.#listings.keys().next().value;
      if (oldest !== undefined) this.#listings.delete(oldest);
    }
  }
}
