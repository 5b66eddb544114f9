/**
 * Test utterances made at test time with Debian's espeak-ng and sox (both offline, so no recorded
 * audio lives in the repo, and a new command is one string away):
 *   espeak-ng -v en-us -s 140 -w raw.wav "turn on the kitchen light"
 *   sox raw.wav -r 16000 -c 1 -b 16 utt.wav pad 0.3 0.3
 * (16 kHz mono 16-bit is what pocketsphinx's en-us model expects; the padding gives end-of-speech
 * detection silence to find), cached per test run under one temp dir.
 */
export interface Voice {
    voice: string;
    speed: number;
}
export declare const VOICES: readonly Voice[];
export interface AudioShape {
    rate?: number;
    channels?: 1 | 2;
}
export declare class SpeechCorpus {
    readonly dir: string;
    private seq;
    speak(text: string, v?: Voice, shape?: AudioShape): Promise<Buffer>;
    /**
     * Generate many utterances up front, `concurrency` espeak-ng/sox pipelines at a time (each is a
     * single-threaded process: on 2 cores two at once halve the wait), in the order given.
     */
    speakAll(requests: ReadonlyArray<{
        text: string;
        voice?: Voice;
        shape?: AudioShape;
    }>, concurrency?: number): Promise<Buffer[]>;
    /** sox-synthesised non-speech: silence or white noise. */
    synth(kind: 'silence' | 'whitenoise' | 'pinknoise', seconds: number, volume?: number): Promise<Buffer>;
    dispose(): Promise<void>;
}
/** >= 30 commands across every intent and the 7 devices of the default home. */
export declare const COMMAND_SENTENCES: readonly string[];
/** Speech the grammar does not contain: must come back not understood. */
export declare const OUT_OF_GRAMMAR: readonly string[];
//# sourceMappingURL=speech.d.ts.map