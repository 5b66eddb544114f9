import { runService } from '../lib/runtime/busService.js';
import { HealthMonitor } from './healthMonitor.js';

runService(() => new HealthMonitor());
