import { describeSuite } from "./harness/vitest.ts";
import { idempotency } from "./stateful.ts";

describeSuite(idempotency);
