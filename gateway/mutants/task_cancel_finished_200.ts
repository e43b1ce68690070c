import { defineMutant } from "./define.ts";

// Why it is plausible: a cancel that does not look at the task's state.
export default defineMutant({
  id: "task_cancel_finished_200",
  family: "tasks",
  expectedCheck: "TASK-003",
  profile: "llmapi",
  summary: "cancelling a finished task answers 200 instead of 409",
  policy: {
    cancelFinished: () => "ok",
  },
});
