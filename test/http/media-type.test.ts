/**
 * The choice of media types (src/http/media-type.ts): the newest resource version not later than the date
 * a client asks for, the oldest when it names none, 406 and 415 for dates before every version.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/http/api-error.js';
import { contentTypeFor, negotiate } from '../../src/http/media-type.js';

const PATH = '/api/atlas/v2/groups/x/liveMigrations';
const VERSIONS = ['2023-01-01', '2024-05-30'];
const atlas = (date: string) => `application/vnd.atlas.${date}+json`;

function answered(accept: string | undefined, contentType?: string): { response: string; body: string | undefined } {
  const { response, bodyVersion } = negotiate(PATH, accept, contentType, VERSIONS);
  return { response: contentTypeFor(response), body: bodyVersion };
}

describe('media types', () => {
  it('answers the newest version not later than the latest date asked for', () => {
    assert.equal(answered(atlas('2024-05-30')).response, `${atlas('2024-05-30')};charset=utf-8`);
    assert.equal(answered(atlas('2024-05-29')).response, `${atlas('2023-01-01')};charset=utf-8`);
    assert.equal(answered(atlas('2099-12-31')).response, `${atlas('2024-05-30')};charset=utf-8`);
    assert.equal(answered(`${atlas('2023-06-01')}, ${atlas('2025-01-01')}`).response, `${atlas('2024-05-30')};charset=utf-8`);
    assert.equal(answered(`${atlas('2023-06-01')}; charset=utf-8`).response, `${atlas('2023-01-01')};charset=utf-8`);
  });

  it('answers the body version, else the oldest, to an Accept that names no version', () => {
    for (const accept of [undefined, '*/*', 'application/json', 'text/html']) {
      assert.deepEqual(answered(accept), { response: `${atlas('2023-01-01')};charset=utf-8`, body: '2023-01-01' });
    }
    assert.deepEqual(answered('application/json', atlas('2024-05-30')), {
      response: `${atlas('2024-05-30')};charset=utf-8`,
      body: '2024-05-30',
    });
    // The body is read as the version its Content-Type names, whatever the answer's version.
    assert.deepEqual(answered(atlas('2023-01-01'), `${atlas('2025-01-01')}; charset=utf-8`), {
      response: `${atlas('2023-01-01')};charset=utf-8`,
      body: '2024-05-30',
    });
  });

  it('refuses dates before every version, unless the Accept also takes any JSON', () => {
    const refusal = (accept: string, contentType?: string) => {
      try {
        negotiate(PATH, accept, contentType, VERSIONS);
      } catch (error) {
        return error instanceof ApiError ? `${error.status} ${error.errorCode}` : 'not an ApiError';
      }
      return 'accepted';
    };
    assert.equal(refusal(atlas('2022-12-31')), '406 INVALID_VERSION_DATE');
    assert.equal(refusal(`${atlas('2022-12-31')}, application/json;q=0`), '406 INVALID_VERSION_DATE');
    assert.equal(refusal(`${atlas('2022-12-31')}, */*;q=0.1`), 'accepted');
    assert.equal(refusal(atlas('2024-05-30'), atlas('2020-01-01')), '415 UNSUPPORTED_MEDIA_TYPE');
  });

  it('is plain JSON outside Atlas v2', () => {
    const { response, bodyVersion } = negotiate(
      '/api/atlas/v1.0/groups/x/liveMigrations',
      atlas('2020-01-01'),
      atlas('2020-01-01'),
      VERSIONS,
    );
    assert.equal(contentTypeFor(response), 'application/json');
    assert.equal(bodyVersion, undefined);
  });
});
