import { apiErrors } from './api-error.js';

export interface Link {
  href: string;
  rel: string;
}

/**
 * An Ops Manager list: `{links, results, totalCount}`, paged by `pageNum` (from 1) and `itemsPerPage`
 * (1 to 500, default 100), with `next`/`previous` links where there are more.
 */
export function pagedList<T>(
  all: readonly T[],
  query: Readonly<Record<string, string | undefined>>,
  selfUrl: string,
): {
  links: Link[];
  results: T[];
  totalCount: number;
} {
  const pageNum = pageParameter(query['pageNum'], 'pageNum', 1, Number.MAX_SAFE_INTEGER, 1);
  const itemsPerPage = pageParameter(query['itemsPerPage'], 'itemsPerPage', 1, 500, 100);
  const start = (pageNum - 1) * itemsPerPage;
  const results = all.slice(start, start + itemsPerPage);
  const pageUrl = (page: number) => `${selfUrl}?pageNum=${page}&itemsPerPage=${itemsPerPage}`;
  const links: Link[] = [];
  if (pageNum > 1) links.push({ href: pageUrl(pageNum - 1), rel: 'previous' });
  links.push({ href: pageUrl(pageNum), rel: 'self' });
  if (start + itemsPerPage < all.length) links.push({ href: pageUrl(pageNum + 1), rel: 'next' });
  return { links, results, totalCount: all.length };
}

function pageParameter(value: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,15}$/.test(value)) throw apiErrors.invalidQueryParameter(name);
  const n = Number(value);
  if (n < min || n > max) throw apiErrors.invalidQueryParameter(name);
  return n;
}

/** An Atlas list: a pagedList with Atlas's `includeCount` (default true), whose false leaves `totalCount` out. */
export function atlasPagedList<T>(
  all: readonly T[],
  query: Readonly<Record<string, string | undefined>>,
  selfUrl: string,
): { links: Link[]; results: T[]; totalCount?: number } {
  const value = query['includeCount'];
  if (value !== undefined && !/^(true|false)$/i.test(value)) throw apiErrors.invalidQueryParameter('includeCount');
  const { links, results, totalCount } = pagedList(all, query, selfUrl);
  return value === undefined || value.toLowerCase() === 'true' ? { links, results, totalCount } : { links, results };
}
