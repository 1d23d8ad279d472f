import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { dateTime, errorText } from "../util";
import "../notifications.css";

export interface Revision {
  body: string;
  written_at: string;
}

/** A comment's "edited" marker, a button that shows and hides its earlier versions. */
export function EditedMarker({ commentId, editedAt, open, onToggle }: { commentId: string; editedAt: string; open: boolean; onToggle: () => void }) {
  return (
    <>
      {" · "}
      <button
        type="button"
        class="link edited"
        aria-expanded={open}
        aria-controls={`revisions-${commentId}`}
        title={`Edited ${dateTime(editedAt)}: show the earlier versions`}
        onClick={onToggle}
      >
        edited
      </button>
    </>
  );
}

/** The earlier bodies of a comment, oldest first, as text (never HTML). */
export function Revisions({ commentId, version }: { commentId: string; version: number }) {
  const [revisions, setRevisions] = useState<Revision[] | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    setError("");
    api.get<Revision[]>(`/comments/${commentId}/revisions`).then(setRevisions, (e) => setError(errorText(e)));
  }, [commentId, version]);

  return (
    <ol class="revisions" id={`revisions-${commentId}`} aria-label="Earlier versions">
      {error && <li class="error">{error}</li>}
      {!error && !revisions && <li class="muted">Loading…</li>}
      {revisions?.map((r, i) => (
        <li key={i} data-testid="revision">
          <span class="muted small">Written {dateTime(r.written_at)}</span>
          <pre class="revision-body">{r.body}</pre>
        </li>
      ))}
      {revisions?.length === 0 && <li class="muted">No earlier version was kept.</li>}
    </ol>
  );
}
