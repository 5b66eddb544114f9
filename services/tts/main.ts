import { runService, serviceConfigFromEnv } from '../lib/runtime/serviceProcess.js';
import { TtsService } from './ttsService.js';

// Connection from ALICIA_MQTT_*; the tts config section from ALICIA_SERVICE_CONFIG (services/lib/runtime).
runService(() => new TtsService({ config: serviceConfigFromEnv() }));
