import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { LazyRequestLogger } from '../../src/http/lazy-request-logger.js';

function capture(): { logger: FastifyBaseLogger; lines: () => Record<string, unknown>[]; children: () => number } {
  const written: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk.toString('utf8'));
      done();
    },
  });
  const base = pino({ level: 'info' }, stream);
  let children = 0;
  const counting = Object.create(base) as FastifyBaseLogger;
  counting.child = (bindings, options) => {
    children += 1;
    return base.child(bindings, options);
  };
  return { logger: counting, lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>), children: () => children };
}

describe('LazyRequestLogger', () => {
  it('makes no pino child for a request that logs nothing', () => {
    const { logger, children } = capture();
    const requestLog = LazyRequestLogger.factory(logger, { reqId: 'r-1' }, {});
    assert.equal(requestLog.level, 'info');
    assert.equal(children(), 0);
  });

  it('logs with the request id bound, making the child once', () => {
    const { logger, lines, children } = capture();
    const requestLog = LazyRequestLogger.factory(logger, { reqId: 'r-2' }, {});
    requestLog.info({ event: 'authentication-failed' }, 'digest authentication failed');
    requestLog.warn('plain %s', 'message');
    requestLog.debug('below the level: not written');
    assert.equal(children(), 1);
    const written = lines();
    assert.equal(written.length, 2);
    assert.equal(written[0]?.['reqId'], 'r-2');
    assert.equal(written[0]?.['event'], 'authentication-failed');
    assert.equal(written[0]?.['msg'], 'digest authentication failed');
    assert.equal(written[1]?.['msg'], 'plain message');
    assert.equal(written[1]?.['reqId'], 'r-2');
  });

  it('takes a level of its own once set, and grandchildren carry both bindings', () => {
    const { logger, lines } = capture();
    const requestLog = LazyRequestLogger.factory(logger, { reqId: 'r-3' }, {});
    requestLog.level = 'debug';
    requestLog.debug('now written');
    requestLog.child({ step: 'sync' }).info('nested');
    assert.equal(logger.level, 'info');
    assert.deepEqual(
      lines().map((line) => [line['msg'], line['reqId'], line['step']]),
      [
        ['now written', 'r-3', undefined],
        ['nested', 'r-3', 'sync'],
      ],
    );
  });
});
