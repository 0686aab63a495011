import { planTriggers } from "./plan-triggers.js";

// Run by row 8 in processes with other time zones and locales.
process.stdout.write(`${JSON.stringify(planTriggers())}\n`);
