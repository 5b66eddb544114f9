import { runService } from '../lib/runtime/serviceProcess.js';
import { HealthMonitor } from './healthMonitor.js';

runService(() => new HealthMonitor());
