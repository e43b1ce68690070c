import { defineMutant } from "./define.ts";

// Why it is plausible: the id rendered where the code's own model keeps it, not where clients read it.
export default defineMutant({
  id: "task_no_id",
  family: "tasks",
  expectedCheck: "TASK-001",
  profile: "data-envelope",
  summary: "the submit answer names the task's id `id`, not the profile's id field",
  policy: {
    taskIdField(idField) {
      const dot = idField.lastIndexOf(".");
      return dot < 0 ? "id" : `${idField.slice(0, dot)}.id`;
    },
  },
});
