import { describeSuite } from "./harness/vitest.ts";
import { resilience } from "./resilience.ts";

describeSuite(resilience);
