/**
 * Code loaded on first use (an adapter's SDK client, a route's request schemas): loaded once, on the
 * first call; concurrent first calls wait for the same load; a load that failed is tried again by the
 * next call rather than remembered, and is a DependencyError naming what could not be loaded (503),
 * not an internal error. (A module that was read but failed to evaluate stays failed in Node: only
 * the reading is tried again.)
 */
import { DependencyError } from './errors.ts';

export function loadOnce<T>(dependency: string, load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw new DependencyError(`${dependency} could not be loaded.`, dependency, error);
    });
    return loading;
  };
}
