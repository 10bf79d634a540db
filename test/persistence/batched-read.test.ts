/**
 * The reads asked for in one turn of the event loop are answered by one read of their keys, and never
 * by a read that began before they were asked for: batching them must not make an answer stale.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchedRead, MAX_BATCH_KEYS } from '../../src/persistence/batched-read.js';

/** A store whose reads the test answers by hand: each read is recorded with its keys, and waits. */
function handAnsweredStore() {
  const reads: { keys: readonly string[]; answer(rows: ReadonlyMap<string, string>): void; fail(error: Error): void }[] = [];
  let readStarted: () => void = () => undefined;
  const reader = new BatchedRead<string>(
    (keys) =>
      new Promise((resolve, reject) => {
        reads.push({ keys, answer: resolve, fail: reject });
        readStarted();
      }),
  );
  /** Resolves once `count` reads have begun. */
  const readsBegun = (count: number): Promise<void> =>
    new Promise((resolve) => {
      readStarted = () => {
        if (reads.length >= count) resolve();
      };
      readStarted();
    });
  return { reader, reads, readsBegun };
}

describe('BatchedRead', () => {
  it('answers the asks of one turn with one read of their distinct keys', async () => {
    const { reader, reads, readsBegun } = handAnsweredStore();
    const asks = [reader.get('a'), reader.get('b'), reader.get('a'), reader.get('missing')];
    await readsBegun(1);
    assert.deepEqual(
      reads.map((r) => r.keys),
      [['a', 'b', 'missing']],
    );
    reads[0]?.answer(
      new Map([
        ['a', 'row a'],
        ['b', 'row b'],
      ]),
    );
    assert.deepEqual(await Promise.all(asks), ['row a', 'row b', 'row a', undefined]);
  });

  it('answers an ask made while a read is running with a read that begins after it', async () => {
    const { reader, reads, readsBegun } = handAnsweredStore();
    const first = reader.get('a');
    await readsBegun(1);
    // The row changes after the first read began: an ask made now must not be answered by that read.
    const second = reader.get('a');
    await readsBegun(2);
    reads[0]?.answer(new Map([['a', 'before the write']]));
    reads[1]?.answer(new Map([['a', 'after the write']]));
    assert.equal(await first, 'before the write');
    assert.equal(await second, 'after the write');
    assert.deepEqual(
      reads.map((r) => r.keys),
      [['a'], ['a']],
    );
  });

  it('fails every ask of a read that fails, and answers the next turn with a read of its own', async () => {
    const { reader, reads, readsBegun } = handAnsweredStore();
    const asks = [reader.get('a'), reader.get('b')];
    await readsBegun(1);
    reads[0]?.fail(new Error('database unavailable'));
    for (const ask of asks) await assert.rejects(ask, /database unavailable/);
    const next = reader.get('a');
    await readsBegun(2);
    reads[1]?.answer(new Map([['a', 'row a']]));
    assert.equal(await next, 'row a');
  });

  it(`splits a turn of more than ${MAX_BATCH_KEYS} keys over several reads`, async () => {
    const { reader, reads, readsBegun } = handAnsweredStore();
    const keys = Array.from({ length: MAX_BATCH_KEYS * 2 + 5 }, (_, i) => `key ${i}`);
    const asks = keys.map((key) => reader.get(key));
    await readsBegun(3);
    assert.deepEqual(
      reads.map((r) => r.keys.length),
      [MAX_BATCH_KEYS, MAX_BATCH_KEYS, 5],
    );
    assert.deepEqual(
      reads.flatMap((r) => r.keys),
      keys,
    );
    for (const read of reads) read.answer(new Map(read.keys.map((key) => [key, `row of ${key}`])));
    assert.deepEqual(
      await Promise.all(asks),
      keys.map((key) => `row of ${key}`),
    );
  });
});
