import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClockService } from '../../src/features/clock/clock-service.js';
import { Clock, MAX_CLOCK_OFFSET_MS } from '../../src/shared/clock.js';
import { formatDuration, parseDuration } from '../../src/shared/duration.js';

describe('the clock', () => {
  it('is real time plus an offset that only moves forward, and goes back to real time on reset', () => {
    let real = 1_700_000_000_000;
    const clock = new Clock(() => real);
    assert.equal(clock.nowMs(), real);
    assert.equal(clock.advance(3_600_000), 3_600_000);
    assert.equal(clock.advance(1000), 3_601_000);
    assert.equal(clock.offsetMs, 3_601_000);
    real += 5;
    assert.equal(clock.nowMs(), real + 3_601_000);
    assert.equal(clock.now().getTime(), real + 3_601_000);
    assert.equal(clock.realNowMs(), real, 'real time is not moved');
    clock.reset();
    assert.equal(clock.nowMs(), real);
    assert.equal(clock.offsetMs, 0);
  });

  it('refuses a backward, fractional or too large move, and keeps its offset', () => {
    const clock = new Clock(() => 0);
    clock.advance(10);
    for (const bad of [-1, 0.5, Number.NaN, MAX_CLOCK_OFFSET_MS]) assert.throws(() => clock.advance(bad), RangeError);
    assert.throws(() => clock.setOffset(-5), RangeError);
    assert.equal(clock.offsetMs, 10);
    assert.equal(clock.setOffset(MAX_CLOCK_OFFSET_MS), MAX_CLOCK_OFFSET_MS);
  });
});

describe('the clock reading', () => {
  it('says the clock is exactly its offset ahead, even when real time moves while it is read', () => {
    // Each read of real time a millisecond later, as when a millisecond turns between two reads.
    let real = 1_700_000_000_000;
    const clock = new Clock(() => (real += 1));
    clock.advance(9_000_000);
    const unused = () => Promise.reject(new Error('the reading touches no database'));
    const service = new ClockService(clock, { offset: unused, setOffset: unused }, unused);
    const reading = service.reading();
    assert.equal(reading.offsetMs, 9_000_000);
    assert.equal(reading.offset, '2h30m');
    assert.equal(Date.parse(reading.now) - Date.parse(reading.realNow), 9_000_000);
  });
});

describe('durations', () => {
  it('reads units and their sums, and writes the largest units', () => {
    assert.equal(parseDuration('121h'), 121 * 3_600_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('30m1h'), 5_400_000);
    assert.equal(parseDuration('5d'), 5 * 86_400_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('301s'), 301_000);
    assert.equal(parseDuration('0s'), 0);
    for (const bad of ['', '5', 'h', '1.5h', '-1h', '1 h', '1w', '1H', '9999999999999h']) assert.equal(parseDuration(bad), undefined, bad);
    assert.equal(formatDuration(121 * 3_600_000), '5d1h');
    assert.equal(formatDuration(5_400_000), '1h30m');
    assert.equal(formatDuration(1001), '1s1ms');
    assert.equal(formatDuration(0), '0s');
  });
});
