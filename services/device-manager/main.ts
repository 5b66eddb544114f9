import { runService } from '../lib/runtime/busService.js';
import { DeviceManager } from './deviceManager.js';

runService(() => new DeviceManager());
