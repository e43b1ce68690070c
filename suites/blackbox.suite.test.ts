import { blackbox } from "./blackbox.ts";
import { describeSuite } from "./harness/vitest.ts";

describeSuite(blackbox);
