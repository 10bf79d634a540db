import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/http/api-error.js';
import { envelop, errorBody, readWireFlags, serializeBody } from '../../src/http/wire-format.js';

describe('serializeBody', () => {
  it('is compact, alphabetical and has no trailing newline', () => {
    assert.equal(serializeBody({ status: 'SYNCED' }, false), '{"status":"SYNCED"}');
    assert.equal(serializeBody({ b: 1, a: [2, { d: 3, c: 4 }] }, false), '{"a":[2,{"c":4,"d":3}],"b":1}');
  });

  it("pretty-prints in Jackson's default style, as Ops Manager does", () => {
    assert.equal(serializeBody({ status: 'SYNCED' }, true), '{\n  "status" : "SYNCED"\n}');
    assert.equal(
      serializeBody({ results: [{ id: 'x', tags: [] }], links: [], totalCount: 1, empty: {} }, true),
      '{\n  "empty" : { },\n  "links" : [ ],\n  "results" : [ {\n    "id" : "x",\n    "tags" : [ ]\n  } ],\n  "totalCount" : 1\n}',
    );
    assert.equal(serializeBody(['a', 'b'], true), '[ "a", "b" ]');
    assert.equal(serializeBody(null, true), 'null');
  });

  it('leaves out undefined fields', () => {
    assert.equal(serializeBody({ a: undefined, b: null }, false), '{"b":null}');
  });
});

describe('envelop', () => {
  it('wraps a single entity as content and status', () => {
    assert.deepEqual(envelop({ status: 'SYNCED' }, 201), { content: { status: 'SYNCED' }, status: 201 });
    assert.equal(serializeBody(envelop({ status: 'SYNCED' }, 201), false), '{"content":{"status":"SYNCED"},"status":201}');
  });

  it('only adds status to a list', () => {
    assert.deepEqual(envelop({ links: [], results: [1], totalCount: 1 }, 200), { links: [], results: [1], totalCount: 1, status: 200 });
  });

  it('wraps arrays and nothing as content', () => {
    assert.deepEqual(envelop([1], 200), { content: [1], status: 200 });
    assert.deepEqual(envelop(undefined, 204), { content: null, status: 204 });
  });
});

describe('errorBody', () => {
  it('has exactly the five Ops Manager fields', () => {
    const body = errorBody(new ApiError(404, 'ORG_NOT_FOUND', 'No organization with ID x exists.', ['x']));
    assert.equal(
      serializeBody(body, false),
      '{"detail":"No organization with ID x exists.","error":404,"errorCode":"ORG_NOT_FOUND","parameters":["x"],"reason":"Not Found"}',
    );
  });
});

describe('readWireFlags', () => {
  it('turns a flag on only for true, in any case', () => {
    assert.deepEqual(readWireFlags({ pretty: 'true', envelope: 'TRUE' }), { pretty: true, envelope: true });
    assert.deepEqual(readWireFlags({ pretty: 'false', envelope: '1' }), { pretty: false, envelope: false });
    assert.deepEqual(readWireFlags({ pretty: '' }), { pretty: false, envelope: false });
    assert.deepEqual(readWireFlags(undefined), { pretty: false, envelope: false });
    assert.deepEqual(readWireFlags({ pretty: ['false', 'true'] }), { pretty: true, envelope: false });
  });
});
