// The API's shapes, as docs/api.md describes them (only the fields the app uses).

export type Role = "viewer" | "member" | "admin" | "owner";
export type Status = "pending" | "in_progress" | "completed";
export type Priority = "none" | "low" | "medium" | "high" | "urgent";

export const STATUSES: Status[] = ["pending", "in_progress", "completed"];
export const STATUS_LABEL: Record<Status, string> = {
  pending: "Pending",
  in_progress: "In progress",
  completed: "Completed",
};
export const PRIORITIES: Priority[] = ["none", "low", "medium", "high", "urgent"];
export const ROLE_RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface User {
  id: string;
  username: string;
  full_name: string | null;
  email?: string | null;
  email_verified?: boolean;
  created_at: string;
}

export interface Room {
  id: string;
  name: string;
  description: string | null;
  code: string | null;
  my_role: Role;
  member_count: number;
  version?: number;
  created_at: string;
  updated_at: string;
}

export interface Member {
  room_id: string;
  user_id: string;
  username: string | null;
  role: Role;
  joined_at: string;
}

export interface Task {
  id: string;
  room_id: string;
  number: number;
  title: string;
  description: string;
  status: Status;
  priority: Priority;
  deadline: string | null;
  assignee_id: string | null;
  labels: string[];
  position: number;
  created_by: string;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  comment_count?: number;
  file_count?: number;
  version: number;
}

export interface Reaction {
  emoji: string;
  count: number;
  reacted: boolean;
}

export interface Comment {
  id: string;
  task_id: string;
  room_id: string;
  parent_id: string | null;
  author: { id: string; username: string } | null;
  body: string | null;
  body_html: string | null;
  deleted: boolean;
  created_at: string;
  edited_at: string | null;
  version: number;
  reactions: Reaction[];
}

export interface FileInfo {
  id: string;
  task_id: string;
  room_id: string;
  name: string;
  size: number;
  content_type: string;
  uploaded_by: string;
  created_at: string;
  width: number | null;
  height: number | null;
}

export interface ActivityEntry {
  id: string;
  seq: number;
  type: string;
  actor_label: string | null;
  summary: string;
  occurred_at?: string;
  created_at?: string;
}

export interface LiveEvent {
  id: string;
  type: string;
  occurred_at: string;
  actor_id: string | null;
  data: Record<string, unknown>;
}
