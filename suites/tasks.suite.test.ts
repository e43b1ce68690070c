import { describeSuite } from "./harness/vitest.ts";
import { tasks } from "./stateful.ts";

describeSuite(tasks);
