import type { Task } from "../src/types";

let n = 0;
export function task(fields: Partial<Task> = {}): Task {
  n += 1;
  return {
    id: `t${n}`,
    room_id: "r1",
    number: n,
    title: `Task ${n}`,
    description: "",
    status: "pending",
    priority: "none",
    deadline: null,
    assignee_id: null,
    labels: [],
    position: n,
    created_by: "u1",
    created_at: "2030-01-01T00:00:00Z",
    updated_at: "2030-01-01T00:00:00Z",
    completed_at: null,
    version: 1,
    ...fields,
  };
}
