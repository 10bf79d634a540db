/**
 * The lag the data plane reports: the age of the last change applied, 0 when caught up, and after a
 * quiet stretch no older than the change that ended it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Timestamp } from 'mongodb';
import { LagGauge } from '../../src/features/live-migrations/data-plane/lag.js';

const at = (seconds: number) => new Timestamp({ t: seconds, i: 1 });
const ms = (seconds: number) => seconds * 1000;

describe('live migration: the lag gauge', () => {
  it('reports how far behind a tail starts, then 0 once caught up', () => {
    const lag = new LagGauge();
    assert.equal(lag.seconds(ms(1000)), undefined);
    lag.startAt(at(1000));
    assert.equal(lag.seconds(ms(1030)), 30);
    lag.changeRead(at(1001));
    lag.appliedThrough(at(1020));
    assert.equal(lag.seconds(ms(1030)), 10);
    lag.markCaughtUp();
    assert.equal(lag.seconds(ms(1030)), 0);
  });

  it('after a quiet stretch, a change read is as far behind as it is old, not as the last one applied', () => {
    const lag = new LagGauge();
    lag.startAt(at(1000));
    lag.markCaughtUp();
    // An hour without writes, then one: it was made at 4600 and is read at 4600.4.
    lag.changeRead(at(4600));
    assert.equal(lag.seconds(ms(4600.4)), 0);
    assert.equal(lag.seconds(ms(4602)), 2, 'still unapplied two seconds later');
    lag.appliedThrough(at(4600));
    lag.markCaughtUp();
    assert.equal(lag.seconds(ms(4602)), 0);
  });

  it('a change read while behind does not hide how far behind the tail is', () => {
    const lag = new LagGauge();
    lag.startAt(at(1000));
    lag.changeRead(at(1005));
    assert.equal(lag.seconds(ms(1060)), 60);
  });
});
