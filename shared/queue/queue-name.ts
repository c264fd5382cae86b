/** A queue's name, the last segment of its URL: how the dead-letter index names it. */
export const queueNameOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);
