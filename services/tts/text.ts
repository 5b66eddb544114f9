import { AliciaError } from '../lib/protocol/errors.js';

/**
 * Clean a sentence for speaking: control characters (C0, DEL, C1) and Unicode line/paragraph
 * separators become spaces, runs of whitespace collapse, ends are trimmed. A reply sentence is
 * one line of speech; a stray NUL or escape byte would otherwise reach the engine as text.
 */
export function cleanText(text: string): string {
  // matching control characters is the point here
  // eslint-disable-next-line no-control-regex
  const controls = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
  return text.replace(controls, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * espeak-ng parses its input as SSML (measured here: `<break time="2s"/>` adds 2 s of audio), so a
 * sentence is escaped before synthesis: a user's "<" or "&" is spoken, never interpreted as markup
 * that could stretch the audio far beyond the text limit.
 */
export function escapeSsml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Clean and check a request's text: TTS_EMPTY_TEXT, TTS_TEXT_TOO_LONG (counted after cleaning, in characters). */
export function prepareText(raw: string, maxChars: number): string {
  const text = cleanText(raw);
  if (text.length === 0)
    throw new AliciaError('TTS_EMPTY_TEXT', 'nothing to say: the text is empty (or only whitespace and control characters)');
  const chars = [...text].length;
  if (chars > maxChars) {
    throw new AliciaError(
      'TTS_TEXT_TOO_LONG',
      `the text is ${chars} characters; the limit is ${maxChars} (split it into shorter sentences or raise tts.max_chars)`,
      { length: chars, limit: maxChars },
    );
  }
  return text;
}
