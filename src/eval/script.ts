import { isDeepStrictEqual } from 'node:util';
import type { CaseCall, EvalCase } from './cases.js';

/** What the scripted server served a call as: a trace step, the case's `next`, or something unscripted. */
export type ServedAs = `trace[${number}]` | 'next' | 'extra';

export interface Served {
  readonly as: ServedAs;
  readonly text: string;
}

/** One line of the journal: a call the scripted server executed, in the order it executed them. */
export interface JournalEntry {
  readonly seq: number;
  readonly name: string;
  readonly arguments: Record<string, unknown>;
  readonly served_as: ServedAs;
  /** The text it answered with. */
  readonly text: string;
}

/** The text served for `next` and for calls the script does not foresee. */
export const GENERIC_RESULT = 'ok';

/**
 * The scripted answers of one case, handed out as calls arrive. A call takes the first unserved trace
 * step with its tool name and arguments; failing that, the first unserved step of that tool (an agent
 * may word the arguments differently); failing that, it is `next` when it names `next`'s tool, and
 * anything else is `extra`. A step refused upstream of the server is never served, so a later call of
 * the same tool still gets the scripted result in order.
 */
export function createScript(c: Pick<EvalCase, 'trace' | 'next'>): (call: CaseCall) => Served {
  const served = new Set<number>();
  const steps = c.trace.map((s, i) => ({ i, call: s.call, result: s.result }));
  let isNextServed = false;
  return (call) => {
    const free = steps.filter((s) => !served.has(s.i) && s.call.name === call.name);
    const exact = free.find((s) => isDeepStrictEqual(s.call.arguments, call.arguments));
    const isNext = call.name === c.next.name && isDeepStrictEqual(call.arguments, c.next.arguments);
    // The exact `next` call is `next` even when a trace step of the same tool is still unserved.
    const step = exact ?? (isNext && !isNextServed ? undefined : free[0]);
    if (step !== undefined) {
      served.add(step.i);
      return { as: `trace[${step.i}]`, text: step.result };
    }
    if (call.name === c.next.name && !isNextServed) {
      isNextServed = true;
      return { as: 'next', text: GENERIC_RESULT };
    }
    return { as: 'extra', text: GENERIC_RESULT };
  };
}
