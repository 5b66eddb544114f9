import { describe, expect, it } from 'vitest';
import { TopicIndex, visibleRows } from './topicIndex.js';

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s);

describe('TopicIndex', () => {
  it('builds a tree with message and topic counts at every level', () => {
    const ix = new TopicIndex();
    ix.add('alicia/device/status/kitchen_light', bytes('{"on":true}'));
    ix.add('alicia/device/status/kitchen_light', bytes('{"on":false}'));
    ix.add('alicia/device/status/hall_lock', bytes('{"locked":true}'));
    ix.add('zigbee2mqtt/lamp', bytes('x'));
    expect(ix.received).toBe(4);
    expect(ix.topicCount).toBe(3);
    expect(ix.root.total).toBe(4);
    const status = ix.get('alicia/device/status/kitchen_light')!.parent!;
    expect(status.path).toBe('alicia/device/status');
    expect(status.total).toBe(3);
    expect(status.topicCount).toBe(2);
    expect(status.hasMessages).toBe(false);
    expect(ix.get('alicia/device/status/kitchen_light')!.messages).toBe(2);
    expect(ix.childrenOf(ix.root).map((n) => n.name)).toEqual(['alicia', 'zigbee2mqtt']);
  });

  it('keeps a bounded history per topic by count and marks what it dropped', () => {
    const ix = new TopicIndex({ perTopicCount: 3 });
    for (let i = 0; i < 10; i++) ix.add('a/b', bytes(String(i)));
    const n = ix.get('a/b')!;
    expect(n.history.map((e) => new TextDecoder().decode(e.payload))).toEqual(['7', '8', '9']);
    expect(n.evicted).toBe(7);
    expect(n.evictedBy).toBe('count');
    expect(n.messages).toBe(10);
  });

  it('bounds history per topic by bytes but always keeps the latest message', () => {
    const ix = new TopicIndex({ perTopicBytes: 100 });
    ix.add('t', new Uint8Array(60));
    ix.add('t', new Uint8Array(60));
    expect(ix.get('t')!.history.length).toBe(1);
    expect(ix.get('t')!.evictedBy).toBe('bytes');
    ix.add('t', new Uint8Array(500)); // bigger than the budget: still kept, it is the latest
    expect(ix.get('t')!.history.length).toBe(1);
    expect(ix.get('t')!.history[0]!.payload.byteLength).toBe(500);
    expect(ix.historyBytes).toBe(500);
  });

  it('bounds total memory across topics, evicting the oldest entries anywhere first', () => {
    const ix = new TopicIndex({ totalBytes: 1000, perTopicBytes: 10_000 });
    for (let i = 0; i < 5; i++) ix.add('old', new Uint8Array(100));
    for (let i = 0; i < 10; i++) ix.add(`new/${i % 2}`, new Uint8Array(100));
    expect(ix.historyBytes).toBeLessThanOrEqual(1000);
    // old keeps only its latest message; its earlier ones went first
    expect(ix.get('old')!.history.length).toBe(1);
    expect(ix.get('old')!.evicted).toBe(4);
    expect(ix.get('old')!.evictedBy).toBe('global');
    expect(ix.received).toBe(15);
  });

  it('bounds the global entry count under a flood of many topics', () => {
    const ix = new TopicIndex({ totalEntries: 1000, perTopicCount: 50 });
    for (let i = 0; i < 20_000; i++) ix.add(`bench/${i % 500}`, bytes('1'));
    // every topic keeps at least its latest; the total stays at the budget
    expect(ix.historyEntries).toBeLessThanOrEqual(1000);
    expect(ix.topicCount).toBe(500);
    expect(ix.root.total).toBe(20_000);
  });

  it('an empty payload removes the topic and prunes empty levels, keeping levels with children', () => {
    const ix = new TopicIndex();
    ix.add('a/b/c', bytes('1'), 0, true);
    ix.add('a/b', bytes('2'), 0, true);
    expect(ix.get('a/b')!.retained).toBe(true);
    ix.add('a/b/c', new Uint8Array(0));
    expect(ix.get('a/b/c')).toBeUndefined();
    expect(ix.topicCount).toBe(1);
    expect(ix.root.total).toBe(1);
    ix.add('a/b', new Uint8Array(0));
    expect(ix.root.children.size).toBe(0);
    expect(ix.received).toBe(4);
    expect(ix.historyBytes).toBe(0);
  });

  it('marks a topic the window published with retain as retained, before or after its own copy arrives', () => {
    const ix = new TopicIndex();
    // the copy arrived first (RETAIN=0 on the publisher's own subscription)
    ix.add('lamp/a', bytes('1'), 0, false);
    expect(ix.get('lamp/a')!.retained).toBe(false);
    ix.markRetained('lamp/a');
    expect(ix.get('lamp/a')!.retained).toBe(true);
    // the publish settled first
    ix.markRetained('lamp/b');
    ix.add('lamp/b', bytes('2'), 0, false);
    expect(ix.get('lamp/b')!.retained).toBe(true);
    // only that once: a later topic of the same name after a clear starts unretained
    ix.add('lamp/b', new Uint8Array(0));
    ix.add('lamp/b', bytes('3'), 0, false);
    expect(ix.get('lamp/b')!.retained).toBe(false);
  });

  it('flattens only expanded levels into rows', () => {
    const ix = new TopicIndex();
    ix.add('a/x', bytes('1'));
    ix.add('a/y', bytes('1'));
    ix.add('b', bytes('1'));
    expect(visibleRows(ix).map((r) => r.node.path)).toEqual(['a', 'b']);
    ix.get('a/x')!.parent!.expanded = true;
    expect(visibleRows(ix).map((r) => `${r.depth}:${r.node.path}`)).toEqual(['0:a', '1:a/x', '1:a/y', '0:b']);
  });

  it('lists the topics under a subtree (for clearing it)', () => {
    const ix = new TopicIndex();
    ix.add('home/a', bytes('1'));
    ix.add('home/a/b', bytes('1'));
    ix.add('home/c/d', bytes('1'));
    ix.add('other', bytes('1'));
    const home = ix.get('home/a')!.parent!;
    expect(
      ix
        .topicsUnder(home)
        .map((n) => n.path)
        .sort(),
    ).toEqual(['home/a', 'home/a/b', 'home/c/d']);
  });
});

describe('TopicIndex.find', () => {
  it('finds levels without messages of their own', () => {
    const ix = new TopicIndex();
    ix.add('a/b/c', bytes('1'));
    expect(ix.find('a/b')?.topicCount).toBe(1);
    expect(ix.find('a/b/c')?.messages).toBe(1);
    expect(ix.find('a/x')).toBeUndefined();
  });
});
