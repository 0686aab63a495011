// Writes the README's config reference table from the zod schemas' metadata (npm run docs:config).
// test/components/config/config-reference.test.ts fails while the README differs from it.
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { withConfigReference } from "../components/config/config-reference";

const readme = path.join(__dirname, "..", "README.md");
const before = readFileSync(readme, "utf8");
const after = withConfigReference(before);
if (after === before) {
    console.log("README.md: the config reference is up to date");
} else {
    writeFileSync(readme, after);
    console.log("README.md: config reference rewritten");
}
