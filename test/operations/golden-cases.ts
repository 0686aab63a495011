import * as path from "node:path";
import { operationsFiles } from "../../components/plan/operations-plan";
import type { GoldenCase } from "../helpers/golden";
import { operationsInput } from "./helpers/sandbox";

export const OPERATIONS_GOLDEN_DIR = path.join(__dirname, "golden");

/** The operations units and config files with default settings (scripts are linted instead). */
export function operationsGoldenCases(): GoldenCase[] {
    return operationsFiles(operationsInput("/opt/telegram-ecosystem"))
        .filter((file) => !file.path.endsWith(".sh"))
        .map((file) => ({
            file: path.join(OPERATIONS_GOLDEN_DIR, path.basename(file.path)),
            render: () => file.content,
        }));
}
