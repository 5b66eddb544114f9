import { NodeLauncher } from './nodeLauncher.js';
import { launcherSuite } from './testing/launcherSuite.js';

launcherSuite('Node child_process.fork', () => new NodeLauncher());
