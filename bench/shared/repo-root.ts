import { fileURLToPath } from 'node:url';

/** The checkout the benches run in, with a trailing slash. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
