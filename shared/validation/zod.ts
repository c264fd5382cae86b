/**
 * zod for the suite's schemas: its tree-shakable `zod/mini` API, with the English messages zod's
 * classic API would set. The classic API puts every method (and JSON Schema conversion) on every
 * schema; loading and building the three schemas with it cost about a fifth of a function's import
 * (`npm run bench`, cold start). The checks, messages and issues are zod's own either way.
 */

import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());

export * from 'zod/mini';
