import { runService } from '../runtime/busService.js';
import { DiscoveryService } from './discoveryService.js';

runService(() => new DiscoveryService());
