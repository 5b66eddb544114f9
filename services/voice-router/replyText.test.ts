import { describe, expect, it } from 'vitest';
import { fillReply, hasPlaceholders, spoken } from './replyText.js';

describe('reply text', () => {
  it('fills placeholders from device state by dotted path', () => {
    expect(fillReply('The kitchen light is at {brightness} percent.', { brightness: 40 })).toBe('The kitchen light is at 40 percent.');
    expect(fillReply('It is {state.temperature} degrees in the {room}.', { state: { temperature: 21.4375 }, room: 'hallway' })).toBe(
      'It is 21.4 degrees in the hallway.',
    );
  });
  it('never speaks a raw placeholder', () => {
    expect(fillReply('It is {missing} degrees.', {})).toBe('It is unknown degrees.');
    expect(hasPlaceholders('It is {value}.')).toBe(true);
    expect(hasPlaceholders('It is 20 degrees.')).toBe(false);
  });
  it('says booleans in the words of their field', () => {
    expect(spoken('on', true)).toBe('on');
    expect(spoken('on', false)).toBe('off');
    expect(spoken('locked', false)).toBe('unlocked');
    expect(spoken('motion', true)).toBe('detected');
  });
});
