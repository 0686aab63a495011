import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { operationsGoldenCases } from "./operations/golden-cases";
import { templateGoldenCases } from "./templates/golden-cases";

/**
 * `npm run golden:update`: rewrites every golden file from its current rendering and names the
 * ones that changed. The tests only compare; review this command's changes in the diff.
 */
const root = path.resolve(__dirname, "..");
let changed = 0;
for (const { file, render } of [...templateGoldenCases(), ...operationsGoldenCases()]) {
    const content = render();
    const before = existsSync(file) ? readFileSync(file, "utf8") : undefined;
    if (before === content) continue;
    writeFileSync(file, content);
    changed++;
    console.log(`${before === undefined ? "created" : "updated"} ${path.relative(root, file)}`);
}
console.log(changed === 0 ? "golden files are up to date" : `${changed} golden file(s) written`);
