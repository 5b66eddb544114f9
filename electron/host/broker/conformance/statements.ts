/**
 * The checklist: every "MUST" statement of MQTT 3.1.1 (OASIS Standard, 29 October 2014) sections
 * 3.1 (CONNECT) to 3.14 (DISCONNECT), as numbered in its Appendix B, and where the embedded broker
 * is tested against it: a test whose name carries the id, in conformance/<file>.test.ts. A statement
 * only a client can honour is listed with the reason it is not tested here. checklist.test.ts holds
 * the tests to this list and renders it into docs/conformance.md. Sections 3.4 (PUBACK), 3.5
 * (PUBREC), 3.7 (PUBCOMP), 3.11 (UNSUBACK) and 3.13 (PINGRESP) have no statements of their own.
 */

export type ConformanceFile =
  'connect' | 'connack' | 'publish' | 'pubrel' | 'subscribe' | 'suback' | 'unsubscribe' | 'pingreq' | 'disconnect';

export interface Statement {
  id: string;
  /** what it requires, in short */
  summary: string;
  /** the test file whose test names carry the id; null when excluded */
  file: ConformanceFile | null;
  /** why it is not tested here (a client's obligation) */
  excluded?: string;
  /** Aedes 1.2 alone breaks it: what the broker fixes (protocolFixes.ts and the files it names) */
  fixed?: string;
}

const CLIENT_FORMAT = "a client's obligation; the server's side is [MQTT-3.1.4-1], tested by sending the violation";
const CLIENT_UTF8 =
  "a client's obligation; what a server does with ill-formed UTF-8 is [MQTT-1.5.3-1] in chapter 1, outside sections 3.1-3.14";

const s = (id: string, file: ConformanceFile, summary: string, fixed?: string): Statement =>
  fixed === undefined ? { id, summary, file } : { id, summary, file, fixed };
const client = (id: string, summary: string, excluded: string): Statement => ({ id, summary, file: null, excluded });

export const STATEMENTS: readonly Statement[] = [
  // 3.1 CONNECT
  s('MQTT-3.1.0-1', 'connect', "a client's first packet must be CONNECT: anything else first closes the connection"),
  s('MQTT-3.1.0-2', 'connect', 'a second CONNECT is a protocol violation: the server disconnects the client'),
  s('MQTT-3.1.2-1', 'connect', 'a wrong protocol name: the server may disconnect, and must not go on under this specification'),
  s(
    'MQTT-3.1.2-2',
    'connect',
    'an unsupported protocol level: CONNACK 0x01, then disconnect',
    "mqtt-packet closed the connection without CONNACK for levels other than 3-5; the CONNACK 0x01 Aedes writes for level 5 was lost behind the broker's own write coalescing when Aedes then closed with an error (tcpStream.ts)",
  ),
  s('MQTT-3.1.2-3', 'connect', 'the reserved connect flag must be 0, else the server disconnects'),
  s('MQTT-3.1.2-4', 'connect', 'CleanSession 0: resume the session of the client id (or create one), keep it after disconnection'),
  s('MQTT-3.1.2-5', 'connect', 'CleanSession 0, disconnected: store further QoS 1 and QoS 2 messages matching its subscriptions'),
  s('MQTT-3.1.2-6', 'connect', 'CleanSession 1: discard any previous session; the new one is not reused after the connection'),
  s('MQTT-3.1.2-7', 'connect', 'retained messages are not session state and are not deleted when a session ends'),
  s('MQTT-3.1.2-8', 'connect', 'Will Flag 1: store the will and publish it when the connection closes without DISCONNECT'),
  s('MQTT-3.1.2-9', 'connect', 'Will Flag 1: Will Topic and Will Message must be present'),
  s('MQTT-3.1.2-10', 'connect', 'the will is removed once published or on DISCONNECT'),
  s('MQTT-3.1.2-11', 'connect', 'Will Flag 0: Will QoS and Will Retain 0, no will fields'),
  s('MQTT-3.1.2-12', 'connect', 'Will Flag 0: no will is published when the connection ends'),
  s('MQTT-3.1.2-13', 'connect', 'Will Flag 0: Will QoS must be 0'),
  s('MQTT-3.1.2-14', 'connect', 'Will Flag 1: Will QoS must not be 3', 'Aedes accepted Will QoS 3'),
  s('MQTT-3.1.2-15', 'connect', 'Will Flag 0: Will Retain must be 0'),
  s('MQTT-3.1.2-16', 'connect', 'Will Retain 0: the will is published as a non-retained message'),
  s('MQTT-3.1.2-17', 'connect', 'Will Retain 1: the will is published as a retained message'),
  s(
    'MQTT-3.1.2-18',
    'connect',
    'User Name Flag 0: no user name in the payload',
    'fields the flags did not announce were ignored, the CONNECT accepted',
  ),
  s('MQTT-3.1.2-19', 'connect', 'User Name Flag 1: a user name in the payload'),
  s(
    'MQTT-3.1.2-20',
    'connect',
    'Password Flag 0: no password in the payload',
    'fields the flags did not announce were ignored, the CONNECT accepted',
  ),
  s('MQTT-3.1.2-21', 'connect', 'Password Flag 1: a password in the payload'),
  s(
    'MQTT-3.1.2-22',
    'connect',
    'User Name Flag 0: Password Flag must be 0',
    'Aedes answered a password without a user name with CONNACK 0x04',
  ),
  client(
    'MQTT-3.1.2-23',
    'the client sends a control packet (PINGREQ) within the keep alive',
    "a client's obligation; the server's side is [MQTT-3.1.2-24]",
  ),
  s('MQTT-3.1.2-24', 'connect', 'no packet for 1.5 x a non-zero keep alive: the server disconnects the client'),
  client('MQTT-3.1.3-1', 'payload fields in the order client id, will topic, will message, user name, password', CLIENT_FORMAT),
  s('MQTT-3.1.3-2', 'connect', 'the client id identifies the session state client and server hold'),
  client('MQTT-3.1.3-3', 'the client id is present and the first payload field', CLIENT_FORMAT),
  client('MQTT-3.1.3-4', 'the client id is a UTF-8 encoded string', CLIENT_UTF8),
  s('MQTT-3.1.3-5', 'connect', 'the server allows client ids of 1 to 23 bytes of [0-9a-zA-Z]'),
  s('MQTT-3.1.3-6', 'connect', 'an accepted zero-byte client id gets a unique id of its own'),
  client('MQTT-3.1.3-7', 'a zero-byte client id comes with CleanSession 1', "a client's obligation; the server's side is [MQTT-3.1.3-8]"),
  s(
    'MQTT-3.1.3-8',
    'connect',
    'a zero-byte client id with CleanSession 0: CONNACK 0x02, then close',
    'Aedes gave the client a generated id and a session',
  ),
  s('MQTT-3.1.3-9', 'connect', 'a rejected client id: CONNACK 0x02, then close'),
  client('MQTT-3.1.3-10', 'the Will Topic is a UTF-8 encoded string', CLIENT_UTF8),
  client('MQTT-3.1.3-11', 'the User Name is a UTF-8 encoded string', CLIENT_UTF8),
  s('MQTT-3.1.4-1', 'connect', 'a CONNECT that does not conform to section 3.1: close without CONNACK'),
  s('MQTT-3.1.4-2', 'connect', 'a client id already connected: the server disconnects the existing client'),
  s('MQTT-3.1.4-3', 'connect', 'the server processes CleanSession as section 3.1.2.4 says'),
  s('MQTT-3.1.4-4', 'connect', 'a valid CONNECT is acknowledged with CONNACK return code 0'),
  s('MQTT-3.1.4-5', 'connect', 'a refused CONNECT: nothing the client sent after it is processed'),
  // 3.2 CONNACK
  s('MQTT-3.2.0-1', 'connack', "the server's first packet to a client is CONNACK"),
  s('MQTT-3.2.2-1', 'connack', 'CleanSession 1 accepted: Session Present 0'),
  s('MQTT-3.2.2-2', 'connack', 'CleanSession 0 with a stored session: Session Present 1'),
  s('MQTT-3.2.2-3', 'connack', 'CleanSession 0 without a stored session: Session Present 0'),
  s('MQTT-3.2.2-4', 'connack', 'a non-zero return code: Session Present 0'),
  s('MQTT-3.2.2-5', 'connack', 'a non-zero return code: then close the connection'),
  s('MQTT-3.2.2-6', 'connack', 'no return code applies: close without CONNACK'),
  // 3.3 PUBLISH
  s('MQTT-3.3.1-1', 'publish', 'a re-delivered PUBLISH has DUP 1', 'a message resent on reconnect had DUP 0'),
  s('MQTT-3.3.1-2', 'publish', 'DUP is 0 for every QoS 0 message', "a publisher's DUP 1 reached QoS 0 subscribers"),
  s(
    'MQTT-3.3.1-3',
    'publish',
    'DUP is not propagated: set only by whether the outgoing PUBLISH is a retransmission',
    "a publisher's DUP 1 was passed on to subscribers",
  ),
  s('MQTT-3.3.1-4', 'publish', 'a PUBLISH with both QoS bits set: close the connection'),
  s('MQTT-3.3.1-5', 'publish', 'RETAIN 1: store the message and its QoS for future subscribers'),
  s('MQTT-3.3.1-6', 'publish', 'a new subscription gets the last retained message of each matching topic'),
  s('MQTT-3.3.1-7', 'publish', 'a retained QoS 0 message replaces (discards) the previously retained one'),
  s('MQTT-3.3.1-8', 'publish', 'RETAIN 1 on a message sent because of a new subscription'),
  s('MQTT-3.3.1-9', 'publish', 'RETAIN 0 on a message sent to an established subscription'),
  s('MQTT-3.3.1-10', 'publish', 'a zero-byte retained message is delivered and removes the retained message of its topic'),
  s('MQTT-3.3.1-11', 'publish', 'a zero-byte retained message is not stored'),
  s('MQTT-3.3.1-12', 'publish', 'RETAIN 0: neither stored nor replacing or removing the retained message'),
  s('MQTT-3.3.2-1', 'publish', 'the Topic Name is present, the first field, a UTF-8 string'),
  s('MQTT-3.3.2-2', 'publish', 'the Topic Name contains no wildcards'),
  s('MQTT-3.3.2-3', 'publish', "the Topic Name of a PUBLISH to a subscriber matches the subscription's filter"),
  s('MQTT-3.3.4-1', 'publish', 'the receiver of a PUBLISH answers as its QoS requires (none, PUBACK, PUBREC)'),
  s(
    'MQTT-3.3.5-1',
    'publish',
    'overlapping subscriptions: delivered at the maximum QoS of all matching subscriptions',
    'a QoS 0 subscription could win over an overlapping QoS 1 one',
  ),
  s('MQTT-3.3.5-2', 'publish', 'an unauthorized PUBLISH: acknowledged by the normal QoS rules, or the connection closed'),
  // 3.6 PUBREL
  s('MQTT-3.6.1-1', 'pubrel', 'PUBREL fixed header bits must be 0010, else malformed: close'),
  // 3.8 SUBSCRIBE
  s('MQTT-3.8.1-1', 'subscribe', 'SUBSCRIBE fixed header bits must be 0010, else malformed: close'),
  client('MQTT-3.8.3-1', 'the Topic Filters are UTF-8 encoded strings', CLIENT_UTF8),
  s('MQTT-3.8.3-2', 'subscribe', 'a server without wildcard support must refuse filters that have them (this one supports them)'),
  s('MQTT-3.8.3-3', 'subscribe', 'at least one filter/QoS pair: a SUBSCRIBE without is a protocol violation'),
  s('MQTT-3.8.3-4', 'subscribe', 'reserved bits in the payload non-zero or a QoS not 0, 1, 2: malformed, close'),
  s('MQTT-3.8.4-1', 'subscribe', 'a SUBSCRIBE is answered with a SUBACK'),
  s('MQTT-3.8.4-2', 'subscribe', 'the SUBACK has the packet identifier of the SUBSCRIBE'),
  s('MQTT-3.8.4-3', 'subscribe', 'an identical filter replaces the subscription; retained messages are re-sent, the flow goes on'),
  s('MQTT-3.8.4-4', 'subscribe', 'several filters are handled as a sequence of SUBSCRIBEs, answered by one SUBACK'),
  s(
    'MQTT-3.8.4-5',
    'subscribe',
    'one return code per filter: the granted QoS or failure',
    'a filter named twice in one SUBSCRIBE got one return code',
  ),
  s(
    'MQTT-3.8.4-6',
    'subscribe',
    'messages go at the minimum of their QoS and the granted QoS',
    'a wildcard subscription did not cap the QoS of a message',
  ),
  // 3.9 SUBACK
  s('MQTT-3.9.3-1', 'suback', 'return codes in the order of the filters', 'a filter named twice in one SUBSCRIBE shifted the return codes'),
  s('MQTT-3.9.3-2', 'suback', 'return codes only 0x00, 0x01, 0x02 and 0x80'),
  // 3.10 UNSUBSCRIBE
  s('MQTT-3.10.1-1', 'unsubscribe', 'UNSUBSCRIBE fixed header bits must be 0010, else malformed: close'),
  client('MQTT-3.10.3-1', 'the Topic Filters are UTF-8 encoded strings, packed contiguously', CLIENT_UTF8),
  s(
    'MQTT-3.10.3-2',
    'unsubscribe',
    'at least one filter: an UNSUBSCRIBE without is a protocol violation',
    'Aedes answered an UNSUBSCRIBE without filters with an UNSUBACK',
  ),
  s('MQTT-3.10.4-1', 'unsubscribe', 'filters are compared character by character; an exact match deletes the subscription'),
  s('MQTT-3.10.4-2', 'unsubscribe', 'after UNSUBSCRIBE no new messages are added for delivery on that subscription'),
  s('MQTT-3.10.4-3', 'unsubscribe', 'QoS 1 and QoS 2 deliveries already started are completed'),
  s('MQTT-3.10.4-4', 'unsubscribe', 'an UNSUBSCRIBE is answered with an UNSUBACK with its packet identifier'),
  s('MQTT-3.10.4-5', 'unsubscribe', 'an UNSUBACK also when nothing was subscribed'),
  s('MQTT-3.10.4-6', 'unsubscribe', 'several filters are handled as a sequence, answered by one UNSUBACK'),
  // 3.12 PINGREQ
  s('MQTT-3.12.4-1', 'pingreq', 'a PINGREQ is answered with a PINGRESP'),
  // 3.14 DISCONNECT
  s('MQTT-3.14.1-1', 'disconnect', 'DISCONNECT reserved bits must be 0, else the server disconnects the client'),
  client('MQTT-3.14.4-1', 'after DISCONNECT the client closes the connection', "a client's obligation"),
  client('MQTT-3.14.4-2', 'after DISCONNECT the client sends nothing more', "a client's obligation"),
  s('MQTT-3.14.4-3', 'disconnect', 'on DISCONNECT the will is discarded, not published'),
];
