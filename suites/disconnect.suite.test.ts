import { describeSuite } from "../node/vitest.ts";
import { disconnect } from "./disconnect.ts";

describeSuite(disconnect);
