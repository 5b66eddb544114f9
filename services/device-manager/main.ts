import { runService } from '../lib/runtime/serviceProcess.js';
import { DeviceManager } from './deviceManager.js';

runService(() => new DeviceManager());
