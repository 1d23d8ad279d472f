// The reports page's background export: pick what and how, follow the job, download it.

import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import { type ExportFormat, type ExportKind, type ExportView, type Range, runExport, saveBlob } from "../reports";
import { toast } from "../session";
import { dateTime, errorText } from "../util";

const STATE_TEXT = { queued: "Queued…", running: "Running…", done: "Ready" } as const;

export function Exports({ roomId, range }: { roomId: string; range: Range }) {
  const [kind, setKind] = useState<ExportKind>("tasks");
  const [format, setFormat] = useState<ExportFormat>("csv");
  const [view, setView] = useState<ExportView>({ phase: "idle" });
  const gone = useRef(false);
  useEffect(() => () => void (gone.current = true), []);
  const working = view.phase === "queued" || view.phase === "running";

  async function start() {
    const body = kind === "flow" ? { kind, format, from: range.from, to: range.to, tz: range.tz } : { kind, format };
    await runExport(api, roomId, body, { onChange: setView, isCancelled: () => gone.current });
  }

  async function download(url: string) {
    try {
      const { blob, filename } = await api.file(url);
      saveBlob(blob, filename ?? `export.${format}`);
    } catch (e) {
      toast(errorText(e));
    }
  }

  return (
    <section class="exports card" aria-labelledby="exports-title">
      <h2 id="exports-title">Export</h2>
      <p class="muted small">Everything in the room, made in the background: the tasks, every status change, or the cumulative flow of the days above.</p>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <label>
          What
          <select value={kind} onChange={(e) => setKind(e.currentTarget.value as ExportKind)}>
            <option value="tasks">Tasks</option>
            <option value="activity">Status changes</option>
            <option value="flow">Cumulative flow</option>
          </select>
        </label>
        <label>
          Format
          <select value={format} onChange={(e) => setFormat(e.currentTarget.value as ExportFormat)}>
            <option value="csv">CSV</option>
            <option value="xlsx">Excel (XLSX)</option>
          </select>
        </label>
        <button type="submit" class="primary" disabled={working}>
          Start export
        </button>
      </form>
      <div role="status" aria-live="polite" data-testid="export-status" class="export-status">
        {view.phase === "queued" || view.phase === "running" || view.phase === "done" ? (
          <span class="row">
            <span class={`badge export-${view.phase}`}>{STATE_TEXT[view.phase]}</span>
            {view.phase === "done" && view.job.download_url && (
              <>
                <button type="button" onClick={() => void download(view.job.download_url!)}>
                  Download {view.job.kind}.{view.job.format}
                </button>
                {view.job.expires_at && <span class="muted small">kept until {dateTime(view.job.expires_at)}</span>}
              </>
            )}
          </span>
        ) : view.phase === "failed" ? (
          <span class="error">Export failed: {view.message}</span>
        ) : view.phase === "busy" ? (
          <span class="error">{view.message || "An export of yours is still running: wait for it to finish."}</span>
        ) : null}
      </div>
    </section>
  );
}
