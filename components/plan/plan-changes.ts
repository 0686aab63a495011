import type { Step } from "./step";

/**
 * The steps a `pulumi up` runs when the plan goes from `previous` to `next`: every Command whose
 * `triggers` changed is replaced (its create script runs); a step new in the plan is created.
 * Every other Command stays as it is, even if it comes later in the chain (`update` is a no-op,
 * see step-commands.ts), and a step gone from the plan is deleted without running anything.
 * Returned in plan order, as the dependsOn chain runs them.
 */
export function changedSteps(previous: readonly Step[], next: readonly Step[]): Step[] {
    const before = new Map(previous.map((step) => [step.id, step.trigger]));
    return next.filter((step) => before.get(step.id) !== step.trigger);
}

/** Ids of the changed steps: what a rotation re-runs, for tests and for people. */
export function changedStepIds(previous: readonly Step[], next: readonly Step[]): string[] {
    return changedSteps(previous, next).map((step) => step.id);
}
