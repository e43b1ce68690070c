import { describeSuite } from "./harness/vitest.ts";
import { requestShape } from "./request-shape.ts";

describeSuite(requestShape);
