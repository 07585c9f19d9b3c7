import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

/** `@default` names the bundle shipped with agentwall (`policies/default.yaml` of the package). */
export const DEFAULT_BUNDLE = '@default';

/** The shipped bundle's path: two levels above this module, in src/ and in dist/ alike. */
export function defaultBundlePath(): string {
  return fileURLToPath(new URL('../../policies/default.yaml', import.meta.url));
}

/** Configured bundle paths to files: `@default` → the shipped bundle, others relative to `baseDir`. */
export function resolveBundlePaths(paths: readonly string[], baseDir: string): string[] {
  return paths.map((p) => (p === DEFAULT_BUNDLE ? defaultBundlePath() : resolve(baseDir, p)));
}

/** `policies/x.yaml` → `policies/x.test.yaml`, where tests written beside a bundle live. */
export function testFileFor(bundle: string): string {
  return bundle.replace(/(\.ya?ml)?$/i, (ext) => `.test${ext || '.yaml'}`);
}
