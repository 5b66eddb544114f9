/** The user's own broker in tests: Debian's Mosquitto with its own config, on a free port, password auth. */
export interface UpstreamMosquitto {
    url: string;
    port: number;
    /** the user the bridge connects as, and a second one for the test's own "device" client */
    bridgeUser: {
        username: string;
        password: string;
    };
    deviceUser: {
        username: string;
        password: string;
    };
    /** the running process's PID (changes on restart) */
    pid(): number;
    /** SIGTERM by PID and wait for the exit */
    kill(): Promise<void>;
    /** start it again on the same port with the same config */
    start(): Promise<void>;
    stop(): Promise<void>;
}
/** Start `mosquitto -c FILE` (allow_anonymous false, a passwd file made with mosquitto_passwd); stop() removes its dir. */
export declare function startUpstreamMosquitto(): Promise<UpstreamMosquitto>;
//# sourceMappingURL=upstreamMosquitto.d.ts.map