import { runService } from '../runtime/busService.js';
import { HealthMonitor } from './healthMonitor.js';

runService(() => new HealthMonitor());
