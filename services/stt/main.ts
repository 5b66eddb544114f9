import { runService, serviceConfigFromEnv } from '../lib/runtime/serviceProcess.js';
import { SttService } from './sttService.js';

// Connection from ALICIA_MQTT_*; the stt config section from ALICIA_SERVICE_CONFIG (services/lib/runtime).
runService(() => new SttService({ config: serviceConfigFromEnv() }));
