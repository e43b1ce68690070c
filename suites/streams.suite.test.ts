import { describeSuite } from "./harness/vitest.ts";
import { streams } from "./upstream.ts";

describeSuite(streams);
