import { watch, type FSWatcher } from 'node:fs';
import { isAgentwallError } from '../core/errors.js';
import { loadPolicySet, type PolicySet } from './policy-set.js';

export type ReloadResult =
  | { readonly ok: true; readonly revision: string; readonly changed: boolean }
  | { readonly ok: false; readonly errors: readonly string[]; readonly revision: string };

export interface PolicyHolderOptions {
  readonly files: readonly string[];
  readonly onReload?: (result: ReloadResult) => void;
}

/**
 * The policy in force. A reload compiles the bundles completely before swapping them in one
 * assignment; a bundle that does not compile is rejected and the running policy stays in force.
 */
export class PolicyHolder {
  #set: PolicySet;
  readonly #files: readonly string[];
  readonly #onReload: ((r: ReloadResult) => void) | undefined;
  #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;

  private constructor(set: PolicySet, options: PolicyHolderOptions) {
    this.#set = set;
    this.#files = options.files;
    this.#onReload = options.onReload;
  }

  /** Loads the bundles; a bundle that does not compile stops start-up (the error lists every problem). */
  static async load(options: PolicyHolderOptions): Promise<PolicyHolder> {
    return new PolicyHolder(await loadPolicySet(options.files), options);
  }

  current(): PolicySet {
    return this.#set;
  }

  get files(): readonly string[] {
    return this.#files;
  }

  async reload(): Promise<ReloadResult> {
    let result: ReloadResult;
    try {
      const next = await loadPolicySet(this.#files);
      const changed = next.revision !== this.#set.revision;
      this.#set = next;
      result = { ok: true, revision: next.revision, changed };
    } catch (err) {
      const errors = isAgentwallError(err)
        ? ((err.data?.errors as string[] | undefined) ?? [err.message])
        : [String(err)];
      result = { ok: false, errors, revision: this.#set.revision };
    }
    this.#onReload?.(result);
    return result;
  }

  /** Reloads when a bundle file changes (editors write in bursts: changes within 100 ms are one). */
  watch(): void {
    for (const file of this.#files) {
      try {
        this.#watchers.push(
          watch(file, { persistent: false }, () => {
            clearTimeout(this.#timer);
            this.#timer = setTimeout(() => void this.reload(), 100);
          }),
        );
      } catch {
        // A file that cannot be watched is still reloadable through the admin API.
      }
    }
  }

  close(): void {
    clearTimeout(this.#timer);
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
  }
}
