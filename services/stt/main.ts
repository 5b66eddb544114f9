import { runService, serviceConfigFromEnv } from '../runtime/busService.js';
import { SttService } from './sttService.js';

// Connection from ALICIA_MQTT_*; the stt config section from ALICIA_SERVICE_CONFIG (services/runtime).
runService(() => new SttService({ config: serviceConfigFromEnv() }));
