import type { DeviceRegistry } from '../../lib/language/deviceRegistry.js';
import type { SttEngine } from '../sttEngine.js';
import type { CorpusUtterance } from './corpus.js';
import type { SpeechCorpus } from './speech.js';
export interface CorpusScore {
    commands: number;
    commandsRight: number;
    rejections: number;
    falseAccepts: number;
    deviceActions: number;
    /** the wrong readings, for the report */
    misses: Array<{
        text: string;
        voice: string;
        speed: number;
        heard: string;
        reason?: string;
    }>;
    accepts: Array<{
        text: string;
        voice: string;
        speed: number;
        heard: string;
        actions: number;
    }>;
}
export declare function scoreCorpus(engine: SttEngine, speech: SpeechCorpus, utterances: readonly CorpusUtterance[], home: DeviceRegistry): Promise<CorpusScore>;
export declare const percent: (n: number, of: number) => string;
//# sourceMappingURL=corpusScore.d.ts.map