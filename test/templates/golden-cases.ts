import * as path from "node:path";
import { planProvisioning } from "../../components/plan/plan";
import { renderDaemonJson } from "../../components/plan/steps/docker-steps";
import { renderSshdDropIn } from "../../components/plan/steps/bootstrap-steps";
import type { GoldenCase } from "../helpers/golden";
import { BOT, runtimeFor, stackConfig } from "../helpers/stack-fixtures";

export const TEMPLATE_GOLDEN_DIR = path.join(__dirname, "golden");

/** The provisioning files of a one-bot stack without operator keys, each with its golden file. */
export function templateGoldenCases(): GoldenCase[] {
    const config = stackConfig({ operatorKeys: [] });
    const plan = planProvisioning(config, runtimeFor(config));
    const step = (id: string) => {
        const found = plan.find((candidate) => candidate.id === id);
        if (!found) throw new Error(`the plan has no step ${id}`);
        return found;
    };
    const cases: Array<[string, () => string]> = [
        ["00-hardening.conf", () => renderSshdDropIn(config)],
        ["daemon.json", () => renderDaemonJson(config)],
        ["docker-compose.yml", () => step("stack-compose-file").stdin ?? ""],
        ["01-init.sql", () => step("stack-init-sql").stdin ?? ""],
        [`${BOT}.env`, () => step(`stack-env-${BOT}`).stdin ?? ""],
        ["postgres.env", () => step("stack-env-postgres").stdin ?? ""],
        [
            "52unattended-upgrades-telegram-ecosystem",
            () => step("unattended-upgrades-policy").stdin ?? "",
        ],
        ["ufw.sh", () => step("ufw").script],
    ];
    return cases.map(([name, render]) => ({ file: path.join(TEMPLATE_GOLDEN_DIR, name), render }));
}
