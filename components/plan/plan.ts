import type { StackConfig } from "../config/config";
import { planOperations } from "./operations-plan";
import { checkRuntime, type RuntimeValues } from "./runtime-values";
import type { Step } from "./step";
import {
    planBaseSystem,
    planFirewall,
    planOperatorKeys,
    planSshd,
    planUnattendedUpgrades,
} from "./steps/bootstrap-steps";
import { planDockerEngine } from "./steps/docker-steps";
import { planHostHardening } from "./steps/hardening-steps";
import { planImagePrune } from "./steps/image-steps";
import { planBotEnvFiles, planComposeUp, planDatabase, planStackFiles } from "./steps/stack-steps";

export type { RuntimeValues } from "./runtime-values";

/** Which component runs a step: each group is one ComponentResource, in this order. */
export type StepGroup = "bootstrap" | "docker" | "stack";
export const STEP_GROUPS: readonly StepGroup[] = ["bootstrap", "docker", "stack"];

export interface PlanContext {
    readonly config: StackConfig;
    readonly runtime: RuntimeValues;
    /** Steps planned so far (earlier concerns), e.g. to fold their triggers into later ones. */
    readonly planned: readonly Step[];
}

/** One concern of the host (keys, sshd, Docker, ...): a pure function from config to steps. */
export interface PlanConcern {
    readonly name: string;
    readonly group: StepGroup;
    readonly plan: (context: PlanContext) => Step[];
}

const stackFiles = (planned: readonly Step[]) =>
    planned.filter((step) => step.id.startsWith("stack-"));

/**
 * Every concern, in the order the steps run. Add a concern (backups, health monitor, ...) by
 * appending it here; bootstrap and docker concerns must not read `runtime`.
 */
export const PLAN_CONCERNS: readonly PlanConcern[] = [
    { name: "operator keys", group: "bootstrap", plan: ({ config }) => planOperatorKeys(config) },
    { name: "base system", group: "bootstrap", plan: ({ config }) => planBaseSystem(config) },
    { name: "sshd", group: "bootstrap", plan: ({ config }) => planSshd(config) },
    { name: "firewall", group: "bootstrap", plan: ({ config }) => planFirewall(config) },
    {
        name: "unattended upgrades",
        group: "bootstrap",
        plan: ({ config }) => planUnattendedUpgrades(config),
    },
    { name: "host hardening", group: "bootstrap", plan: () => planHostHardening() },
    { name: "docker engine", group: "docker", plan: ({ config }) => planDockerEngine(config) },
    {
        name: "stack files",
        group: "stack",
        plan: ({ config, runtime }) => planStackFiles(config, runtime),
    },
    {
        name: "database",
        group: "stack",
        plan: ({ config, runtime, planned }) => planDatabase(config, runtime, stackFiles(planned)),
    },
    {
        // After the database: a rotated password is set (ALTER ROLE) before DATABASE_URL changes.
        name: "bot env files",
        group: "stack",
        plan: ({ config, runtime }) => planBotEnvFiles(config, runtime),
    },
    {
        name: "compose up",
        group: "stack",
        plan: ({ config, runtime, planned }) => planComposeUp(config, runtime, stackFiles(planned)),
    },
    {
        name: "operations (backups, health monitor)",
        group: "stack",
        plan: ({ config, runtime }) =>
            planOperations(config, {
                botTokens: runtime.botTokens,
                ...(runtime.offsiteKeys === undefined ? {} : { offsiteKeys: runtime.offsiteKeys }),
            }),
    },
    {
        // Last: only a deploy whose services all came up healthy removes anything.
        name: "image pruning",
        group: "stack",
        plan: ({ config, runtime }) => planImagePrune(config, runtime),
    },
];

/** The plan split by group (each in run order). */
export function planGroups(
    config: StackConfig,
    runtime: RuntimeValues,
    concerns: readonly PlanConcern[] = PLAN_CONCERNS,
): Record<StepGroup, Step[]> {
    checkRuntime(config, runtime);
    const groups: Record<StepGroup, Step[]> = { bootstrap: [], docker: [], stack: [] };
    const planned: Step[] = [];
    for (const concern of concerns) {
        const steps = concern.plan({ config, runtime, planned });
        groups[concern.group].push(...steps);
        planned.push(...steps);
    }
    assertUniqueIds(planned);
    return groups;
}

/** Every provisioning step in order: bootstrap, Docker engine, compose stack. */
export function planProvisioning(config: StackConfig, runtime: RuntimeValues): Step[] {
    const groups = planGroups(config, runtime);
    return STEP_GROUPS.flatMap((group) => groups[group]);
}

function assertUniqueIds(steps: readonly Step[]): void {
    const seen = new Set<string>();
    for (const step of steps) {
        if (seen.has(step.id)) {
            throw new Error(`duplicate step id ${step.id} in the provisioning plan`);
        }
        seen.add(step.id);
    }
}
