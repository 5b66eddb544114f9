import type { SlotType, TemplateNode } from './template.js';

/**
 * A finite-state grammar in pocketsphinx's FSG text format (sphinxbase fsg_model_read):
 *
 *   FSG_BEGIN <name>
 *   NUM_STATES <n>
 *   START_STATE <s>
 *   FINAL_STATE <f>
 *   TRANSITION <from> <to> <prob> [<word>]     (no word: a null transition)
 *   FSG_END
 *
 * pocketsphinx converts JSGF into this form itself, but JSGF inlines every rule where it is used,
 * so two templates can never share a state. Written directly, one sub-network can be entered from
 * every state of the grammar through null transitions and exist once in the decoder (its cost is
 * paid once, not once per use). The reader closes null transitions transitively.
 */
export class FsgWriter {
  private count = 0;
  private readonly lines: string[] = [];

  /** a new state's number */
  state(): number {
    return this.count++;
  }

  get states(): number {
    return this.count;
  }

  /** a transition that says `word`; `prob` in (0, 1], scaled by the decoder's language weight */
  word(from: number, to: number, word: string, prob = 1): void {
    this.lines.push(`TRANSITION ${from} ${to} ${prob} ${word}`);
  }

  /** a transition that says nothing */
  empty(from: number, to: number, prob = 1): void {
    this.lines.push(`TRANSITION ${from} ${to} ${prob}`);
  }

  /** Lay `node` out between states `from` and `to`. `slot` lays out a slot the same way. */
  template(node: TemplateNode, from: number, to: number, slot: (s: SlotType, from: number, to: number) => void): void {
    switch (node.t) {
      case 'word':
        this.word(from, to, node.w);
        return;
      case 'slot':
        slot(node.slot, from, to);
        return;
      case 'seq': {
        let at = from;
        node.items.forEach((item, i) => {
          const next = i === node.items.length - 1 ? to : this.state();
          this.template(item, at, next, slot);
          at = next;
        });
        return;
      }
      case 'opt':
        this.template(node.item, from, to, slot);
        this.empty(from, to);
        return;
      case 'alt':
        for (const o of node.options) this.template(o, from, to, slot);
    }
  }

  text(name: string, start: number, final: number): string {
    return [
      `FSG_BEGIN ${name}`,
      `NUM_STATES ${this.count}`,
      `START_STATE ${start}`,
      `FINAL_STATE ${final}`,
      ...this.lines,
      'FSG_END',
      '',
    ].join('\n');
  }
}
