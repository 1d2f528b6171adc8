import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { packageRoot } from '../version.ts';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

/** The browser builds of the page's libraries, by URL: what the page's import map names. */
const VENDOR: Readonly<Record<string, [pkg: string, file: string]>> = {
  '/vendor/preact/preact.mjs': ['preact', 'dist/preact.mjs'],
  '/vendor/preact/hooks.mjs': ['preact', 'hooks/dist/hooks.mjs'],
  '/vendor/preact/jsxRuntime.mjs': ['preact', 'jsx-runtime/dist/jsxRuntime.mjs'],
  '/vendor/mqtt/mqtt.esm.js': ['mqtt', 'dist/mqtt.esm.js'],
  '/vendor/uplot/uPlot.esm.js': ['uplot', 'dist/uPlot.esm.js'],
  '/vendor/uplot/uPlot.min.css': ['uplot', 'dist/uPlot.min.css'],
};

export interface StaticAsset {
  file: string;
  contentType: string;
}

/** A package's folder: in the gateway's node_modules, or one above it when npm hoisted it. */
function packageDir(root: string, name: string): string | undefined {
  for (let dir = root; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Every file the console serves, by URL: its page and style (console/), the page's code compiled at
 * build time (dist/web/), and the libraries' browser builds from node_modules. Nothing comes from a CDN.
 */
export function staticAssets(): Map<string, StaticAsset> {
  const root = packageRoot();
  const assets = new Map<string, StaticAsset>();
  const add = (url: string, file: string) => assets.set(url, { file, contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
  add('/', join(root, 'console/index.html'));
  add('/console/style.css', join(root, 'console/style.css'));
  const compiled = join(root, 'dist/web/console/src');
  if (existsSync(compiled)) for (const name of readdirSync(compiled)) add(`/console/app/${name}`, join(compiled, name));
  for (const [url, [pkg, file]] of Object.entries(VENDOR)) {
    const dir = packageDir(root, pkg);
    if (dir !== undefined) add(url, join(dir, file));
  }
  return assets;
}

/** A file's content, read once. */
export function assetReader(): (asset: StaticAsset) => string {
  const cache = new Map<string, string>();
  return (asset) => {
    let text = cache.get(asset.file);
    if (text === undefined) cache.set(asset.file, (text = readFileSync(asset.file, 'utf8')));
    return text;
  };
}
