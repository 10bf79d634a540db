import { createHash } from 'node:crypto';
import { ICON_SVG } from './assets/icon.js';
import { SCRIPT } from './assets/script.js';
import { STYLESHEET } from './assets/stylesheet.js';

export interface WebAsset {
  /** Under /assets/, with a hash of the content in the name: a new version is a new URL, so it may be cached for good. */
  path: string;
  contentType: string;
  body: Buffer;
}

function asset(name: string, extension: string, contentType: string, text: string): WebAsset {
  const body = Buffer.from(text, 'utf8');
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { path: `/assets/${name}.${hash}.${extension}`, contentType, body };
}

/** Everything a page loads, served by livelink itself: no CDN, no network. */
export const WEB_ASSETS = {
  stylesheet: asset('livelink', 'css', 'text/css; charset=utf-8', STYLESHEET),
  script: asset('livelink', 'js', 'text/javascript; charset=utf-8', SCRIPT),
  icon: asset('icon', 'svg', 'image/svg+xml', ICON_SVG),
} as const;

export const ASSETS_BY_PATH: ReadonlyMap<string, WebAsset> = new Map(Object.values(WEB_ASSETS).map((a) => [a.path, a]));
