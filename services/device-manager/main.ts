import { runService } from '../runtime/busService.js';
import { DeviceManager } from './deviceManager.js';

runService(() => new DeviceManager());
