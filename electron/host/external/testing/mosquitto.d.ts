import { type BrokerConfigResult } from '../mosquittoConfig.js';
/** Debian's broker (build/setup.sh APT_PACKAGES: mosquitto). */
export declare const MOSQUITTO_BIN = "/usr/sbin/mosquitto";
/** A port nobody listens on right now (bound, then released for Mosquitto to take). */
export declare function freePort(): Promise<number>;
export interface TestMosquitto {
    /** mqtt://127.0.0.1:PORT */
    url: string;
    port: number;
    /** the files `alicia broker-config mosquitto` wrote */
    config: BrokerConfigResult;
    /** the running broker's pid, null while stopped */
    readonly pid: number | null;
    /** everything it logged (stderr), across restarts */
    log(): string;
    /** SIGTERM by pid and wait for the exit (it saves its persistent sessions first) */
    stop(): Promise<void>;
    /** start again on the same port with the same files and saved sessions */
    start(): Promise<void>;
    /** stop, and remove the config directory */
    dispose(): Promise<void>;
}
/**
 * A real Debian Mosquitto for tests, configured exactly as a user would (`alicia broker-config
 * mosquitto --data-dir DIR --out OUT`, then `mosquitto -c OUT/mosquitto.conf`), on a free port,
 * started and stopped by its pid. DIR must hold (or will get) the credentials.json the host uses.
 */
export declare function startTestMosquitto(dataDir: string): Promise<TestMosquitto>;
//# sourceMappingURL=mosquitto.d.ts.map