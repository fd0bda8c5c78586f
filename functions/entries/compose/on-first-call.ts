/**
 * An adapter whose code is loaded on its first call. The S3, KMS and SES clients, and the adapters
 * on them, are each reached by only some requests (a standard-mode send needs neither S3 nor KMS;
 * an open needs neither KMS nor SES), yet built at module load they were a third of an entry's
 * bundle to compile and four SDK clients to construct before any first answer — the cold start
 * `npm run bench` measures. Their modules are imported with `import()`, which the Lambda build
 * (cdk/build.ts, esbuild `splitting`) turns into chunks of their own, loaded when first needed.
 *
 * The adapter is built once: concurrent first calls wait for the same build, and a build that
 * failed (the chunk could not be loaded) is tried again on the next call rather than remembered.
 */
import { loadOnce } from '../../core/shared/index.ts';

/** The methods of T, each of which answers with a promise (an adapter's port). */
type AsyncMethods<T> = { [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof T];

/**
 * A T whose `methods` (all of T's methods, listed so the compiler checks none is missing) call the
 * adapter `build` makes, building it on the first call. `dependency` names it in a DependencyError
 * when it cannot be loaded.
 */
export function onFirstCall<T extends object>(
  dependency: string, methods: { readonly [K in keyof T]-?: K extends AsyncMethods<T> ? true : never }, build: () => Promise<T>,
): T {
  const adapter = loadOnce(dependency, build);
  const facade: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of Object.keys(methods)) {
    facade[method] = async (...args) => {
      const target = await adapter() as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      return (target[method] as (...a: unknown[]) => Promise<unknown>).apply(target, args);
    };
  }
  return facade as unknown as T;
}
