import { runService, serviceConfigFromEnv } from '../lib/runtime/serviceProcess.js';
import { VoiceRouter } from './voiceRouter.js';

// Connection from ALICIA_MQTT_*; the voice-router config section from ALICIA_SERVICE_CONFIG (services/lib/runtime).
runService(() => new VoiceRouter({ config: serviceConfigFromEnv() }));
