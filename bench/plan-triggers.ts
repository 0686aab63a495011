import { planProvisioning } from "../components/plan/plan.js";
import { runtimeFor, stackConfig } from "../test/helpers/stack-fixtures.js";

/** The step id -> trigger map of the default test stack's plan (row 8 runs this). */
export function planTriggers(): Record<string, string> {
    const config = stackConfig();
    return Object.fromEntries(
        planProvisioning(config, runtimeFor(config)).map((step) => [step.id, step.trigger]),
    );
}
