import { errorMessage } from './errors.js';

/**
 * What a benchmark has to undo — child processes, clients, temporary directories — registered as it
 * is acquired and undone in reverse order, also when the run fails or is interrupted. One failing step
 * does not stop the others: they are all tried and their errors returned.
 */
export class Cleanup {
  readonly #steps: { readonly label: string; readonly undo: () => Promise<void> | void }[] = [];
  #running: Promise<Error[]> | undefined;

  /** After `run()` has begun (an interrupt during set-up), a late step is undone at once. */
  defer(label: string, undo: () => Promise<void> | void): void {
    this.#steps.push({ label, undo });
    if (this.#running)
      this.#running = this.#running.then(async (errors) => [...errors, ...(await this.#runSteps())]);
  }

  /** Runs every step once, newest first; a second call waits for the first. */
  run(): Promise<Error[]> {
    this.#running ??= this.#runSteps();
    return this.#running;
  }

  async #runSteps(): Promise<Error[]> {
    const errors: Error[] = [];
    for (let step = this.#steps.pop(); step; step = this.#steps.pop()) {
      try {
        await step.undo();
      } catch (err) {
        errors.push(new Error(`cleanup '${step.label}': ${errorMessage(err)}`, { cause: err }));
      }
    }
    return errors;
  }
}
