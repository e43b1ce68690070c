import { describeSuite } from "../node/vitest.ts";
import { idempotency } from "./stateful.ts";

describeSuite(idempotency);
