import { describeSuite } from "../node/vitest.ts";
import { tasks } from "./stateful.ts";

describeSuite(tasks);
