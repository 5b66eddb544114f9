import { runService } from '../lib/runtime/serviceProcess.js';
import { DiscoveryService } from './discoveryService.js';

runService(() => new DiscoveryService());
