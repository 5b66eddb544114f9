import { createLogger, stderrSink } from '../../../services/lib/runtime/logger.js';
import type { Logger } from '../../../services/lib/runtime/logger.js';

/** The log of a Recorder given none (tests, benches): warnings and errors as JSON lines on stderr. */
export const stderrLog: Logger = createLogger('recorder', { sink: stderrSink });
