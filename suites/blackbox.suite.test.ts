import { describeSuite } from "../node/vitest.ts";
import { blackbox } from "./blackbox.ts";

describeSuite(blackbox);
