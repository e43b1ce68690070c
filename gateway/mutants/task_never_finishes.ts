import { defineMutant } from "./define.ts";

// Why it is plausible: a worker that marks a task running and then loses it.
export default defineMutant({
  id: "task_never_finishes",
  family: "tasks",
  expectedCheck: "TASK-002",
  profile: "llmapi",
  summary: "a task is picked up and stays running forever",
  policy: {
    runsTask: () => false,
  },
});
