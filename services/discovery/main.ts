import { runService } from '../lib/runtime/busService.js';
import { DiscoveryService } from './discoveryService.js';

runService(() => new DiscoveryService());
