import { describeSuite } from "../node/vitest.ts";
import { resilience } from "./resilience.ts";

describeSuite(resilience);
