/**
 * The golden Mesos fixtures (`test/fixtures/mesos/`): what real Mesos sends and answers,
 * as measured for this project (verbatim, corrected where the docs are wrong, and
 * synthetic edge cases). Kept in the repository so that a clone tests on its own.
 * Tests run from `dist/test/`; the fixtures stay beside the sources.
 */
import { fileURLToPath } from 'node:url';

export const MESOS_FIXTURES = fileURLToPath(new URL('../../../test/fixtures/mesos/', import.meta.url));
