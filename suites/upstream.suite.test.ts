import { describeSuite } from "../node/vitest.ts";
import { upstream } from "./upstream.ts";

describeSuite(upstream);
