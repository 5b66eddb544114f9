import { runService, serviceConfigFromEnv } from '../lib/runtime/serviceProcess.js';
import { AiService } from './aiService.js';

// Connection from ALICIA_MQTT_*; the ai config section (optional llm fallback) from ALICIA_SERVICE_CONFIG.
runService(() => new AiService({ config: serviceConfigFromEnv() }));
