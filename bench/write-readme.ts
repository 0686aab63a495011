import { writeReadmeSection } from "./readme.js";

// `npm run bench:readme`: the README's table from the committed bench/results.json.
writeReadmeSection(process.cwd());
console.log("docs/benchmarks.md: bench section written from bench/results.json");
