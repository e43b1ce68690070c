import { describeSuite } from "./harness/vitest.ts";
import { upstream } from "./upstream.ts";

describeSuite(upstream);
