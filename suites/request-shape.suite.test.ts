import { describeSuite } from "../node/vitest.ts";
import { requestShape } from "./request-shape.ts";

describeSuite(requestShape);
