/**
 * The garbage path of the recogniser's grammar (grammar.ts writes it, the stt engine decodes it):
 * what the decoder may say instead of a command. A grammar decoder always finds *some* sentence
 * of its grammar, so speech outside it ("turn on the garage light" in a home without a garage)
 * came out as the nearest command ("turn on the bedroom light"). With a garbage path competing
 * inside the same search, that speech is cheaper to say as garbage, the best path itself says
 * "not a command", and the engine rejects any hypothesis with a garbage word in it.
 *
 * Two kinds of garbage unit, both written with GARBAGE_PREFIX so they can never be taken for a
 * command word:
 *  - the 39 phones of the en-us acoustic model, one "word" each (context-independent: the engine
 *    gives them to the decoder as filler words, so the loop costs 39 HMMs): anything at all;
 *  - household words the home may lack (rooms, appliances, verbs, colours: GARBAGE_WORDS, with the
 *    dictionary's context-dependent pronunciations): a phone loop is a poor match for a whole word,
 *    so "bathroom" on its own would still lose to "bedroom"; as a word it wins. Words the home's
 *    own commands use are left out by the grammar (its phrases stay the cheaper reading).
 *
 * From every state of the command grammar a null transition (price entryProb) leads into one
 * shared loop of units (each unit priced phoneProb or wordProb) that ends the sentence: a command
 * followed or interrupted by unexplained speech is rejected too. The prices were chosen on the
 * tuning set of services/stt/accuracy/corpus.ts only (services/stt/README.md has the numbers).
 */

export interface GarbageOptions {
  /** price of each garbage phone (a transition probability, scaled by the decoder's -lw) */
  phoneProb: number;
  /** price of each garbage word */
  wordProb: number;
  /** price of leaving the command grammar for the garbage loop (0: no garbage path at all) */
  entryProb: number;
}

export const DEFAULT_GARBAGE: GarbageOptions = { phoneProb: 3e-2, wordProb: 3e-2, entryProb: 1e-2 };

/** The phones of pocketsphinx's en-us model (its mdef, without SIL and the noise phones). */
export const GARBAGE_PHONES: readonly string[] = [
  'AA', 'AE', 'AH', 'AO', 'AW', 'AY', 'B', 'CH', 'D', 'DH', 'EH', 'ER', 'EY', 'F', 'G', 'HH', 'IH', 'IY', 'JH', 'K',
  'L', 'M', 'N', 'NG', 'OW', 'OY', 'P', 'R', 'S', 'SH', 'T', 'TH', 'UH', 'UW', 'V', 'W', 'Y', 'Z', 'ZH',
]; // prettier-ignore

/** "~" starts no dictionary word. */
export const GARBAGE_PREFIX = '~';
export const isGarbageWord = (w: string): boolean => w.startsWith(GARBAGE_PREFIX);
export const garbageUnit = (name: string): string => `${GARBAGE_PREFIX}${name.toLowerCase()}`;

/**
 * Words a home may name that the commands do not: rooms and places, devices and appliances, what
 * one does to them, colours. Written as a general household vocabulary, not from the test
 * corpus; the corpus's test set also names things that are not here (corpus.ts, "unlisted").
 */
export const GARBAGE_WORDS: readonly string[] = [
  // rooms and places
  'attic', 'balcony', 'basement', 'bath', 'bathroom', 'cellar', 'closet', 'conservatory', 'den', 'dining', 'downstairs',
  'driveway', 'garage', 'garden', 'guest', 'gym', 'hall', 'landing', 'laundry', 'library', 'loft', 'lobby', 'nursery',
  'office', 'pantry', 'patio', 'playroom', 'porch', 'shed', 'shower', 'stairs', 'staircase', 'study', 'terrace',
  'toilet', 'upstairs', 'utility', 'yard', 'lawn', 'pool', 'roof', 'workshop', 'studio', 'spare',
  'master', 'kids', 'children', 'baby', 'front', 'back', 'side', 'outside', 'inside', 'outdoor', 'indoor',
  // devices, appliances, furniture
  'fan', 'fans', 'tv', 'television', 'oven', 'stove', 'cooker', 'dishwasher', 'coffee', 'machine', 'kettle', 'fridge',
  'refrigerator', 'freezer', 'washer', 'washing', 'dryer', 'microwave', 'toaster', 'radio', 'computer', 'laptop',
  'printer', 'router', 'blinds', 'curtains', 'shutters', 'window', 'windows', 'gate', 'sprinkler',
  'sprinklers', 'pump', 'boiler', 'air', 'conditioner', 'conditioning', 'humidifier', 'dehumidifier', 'vacuum',
  'cleaner', 'robot', 'alarm', 'camera', 'cameras', 'doorbell', 'fireplace', 'chandelier', 'bulb', 'bulbs', 'plug',
  'plugs', 'socket', 'outlet', 'strip', 'projector', 'stereo', 'amplifier', 'console', 'charger', 'car', 'radiator',
  'radiators', 'aquarium', 'tank', 'sauna', 'tub', 'hot', 'tap', 'faucet', 'mirror', 'bed', 'desk', 'table', 'sofa',
  'couch', 'chair', 'shelf', 'cabinet', 'cupboard', 'wardrobe', 'floor', 'ceiling', 'wall', 'doors', 'lamps',
  'lighting', 'led', 'spotlight', 'spotlights', 'phone', 'tablet', 'clock', 'timer', 'iron', 'blender', 'mixer',
  'grill', 'barbecue', 'mower', 'heaters', 'thermometer', 'meter', 'valve', 'shade', 'shades', 'awning',
  // what one does to them
  'open', 'close', 'shut', 'start', 'run', 'activate', 'enable', 'disable', 'raise', 'lower', 'increase', 'decrease',
  'reduce', 'boost', 'mute', 'unmute', 'skip', 'next', 'previous', 'shuffle', 'repeat', 'record', 'call', 'ring',
  'show', 'find', 'add', 'remove', 'change', 'check', 'clean', 'charge', 'water', 'feed', 'book', 'order', 'send',
  'read', 'remind', 'wake', 'warmer', 'colder', 'cooler', 'softer',
  // colours and settings
  'red', 'green', 'blue', 'yellow', 'purple', 'pink', 'orange', 'white', 'color', 'colour', 'auto', 'eco', 'fast',
  'slow', 'low', 'high', 'medium', 'max', 'minimum', 'maximum', 'humidity', 'motion', 'battery', 'power', 'energy',
  // numbers the commands do not take
  'thousand', 'million', 'minus', 'negative', 'hundreds',
]; // prettier-ignore
