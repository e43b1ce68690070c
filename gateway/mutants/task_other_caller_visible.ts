import { defineMutant } from "./define.ts";

// Why it is plausible: tasks looked up by id alone.
export default defineMutant({
  id: "task_other_caller_visible",
  family: "tasks",
  expectedCheck: "TASK-004",
  profile: "llmapi",
  summary: "any client may poll or cancel another client's task",
  policy: {
    seesTask: () => true,
  },
});
