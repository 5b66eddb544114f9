import { pbkdf2Sync, randomBytes } from 'node:crypto';

/**
 * Mosquitto 2.0's password file format, as `mosquitto_passwd` writes it: one line per user,
 * `user:$7$<iterations>$<base64 salt>$<base64 hash>`, PBKDF2-HMAC-SHA512 with a 12-byte salt and a
 * 64-byte hash (mosquitto 2.0 src/password_mosq.c: SALT_LEN 12, PW_DEFAULT_ITERATIONS 101).
 * The count is Mosquitto's own default: each password here is 192 random bits, which no slow hash
 * needs to protect, and a higher count only makes every CONNECT dearer.
 */
export const MOSQUITTO_PBKDF2_ITERATIONS = 101;
const SALT_BYTES = 12;
const HASH_BYTES = 64;

/** The `$7$...` hash of a password (a fresh random salt unless given). */
export function mosquittoHash(password: string, salt: Buffer = randomBytes(SALT_BYTES), iterations = MOSQUITTO_PBKDF2_ITERATIONS): string {
  const hash = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, HASH_BYTES, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Mosquitto reads `user:hash` and splits at the first colon: a user name must not hold one. */
export function mosquittoUserProblem(user: string): string | null {
  if (user.includes(':')) return 'contains ":" (the password file separator)';
  if (/[\s#+/]/.test(user) || user.length === 0) return 'is empty or contains white space, "#", "+" or "/"';
  return null;
}

/** One password file line. */
export function mosquittoPasswdLine(user: string, password: string): string {
  const problem = mosquittoUserProblem(user);
  if (problem) throw new Error(`user name ${JSON.stringify(user)} ${problem}`);
  return `${user}:${mosquittoHash(password)}`;
}
