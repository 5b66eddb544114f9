import { DeviceRegistry } from '../deviceRegistry.js';
import type { DeviceInfo } from '../deviceRegistry.js';
/** The default home of resources/home.json as the registry sees it (tests only). */
export declare function defaultHomeDevices(): DeviceInfo[];
export declare function defaultHomeRegistry(): DeviceRegistry;
//# sourceMappingURL=defaultHome.d.ts.map