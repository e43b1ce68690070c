import { describeSuite } from "../node/vitest.ts";
import { streams } from "./upstream.ts";

describeSuite(streams);
