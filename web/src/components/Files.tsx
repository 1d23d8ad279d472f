import { useEffect, useState } from "preact/hooks";
import { api, upload } from "../api";
import { memberName } from "../roomdata";
import { toast } from "../session";
import type { FileInfo, Member, Task } from "../types";
import { errorText, fileSize, newKey } from "../util";

const IMAGES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

interface Uploading {
  key: string;
  name: string;
  progress: number;
}

export function Files({ task, canWrite, members, changes }: { task: Task; canWrite: boolean; members: Member[]; changes: number }) {
  const [files, setFiles] = useState<FileInfo[]>([]);
  const [uploads, setUploads] = useState<Uploading[]>([]);
  const [dragging, setDragging] = useState(false);

  async function load() {
    try {
      setFiles(await api.all<FileInfo>(`/tasks/${task.id}/files`));
    } catch (e) {
      toast(errorText(e));
    }
  }
  useEffect(() => void load(), [task.id, changes]);

  async function send(list: FileList | File[]) {
    for (const file of [...list]) {
      const key = newKey();
      setUploads((u) => [...u, { key, name: file.name, progress: 0 }]);
      try {
        const token = await api.accessToken();
        await upload<FileInfo>(`/api/v1/tasks/${task.id}/files`, token, file, (progress) =>
          setUploads((u) => u.map((x) => (x.key === key ? { ...x, progress } : x))),
        key);
        await load();
      } catch (e) {
        toast(`${file.name}: ${errorText(e)}`);
      } finally {
        setUploads((u) => u.filter((x) => x.key !== key));
      }
    }
  }

  async function download(file: FileInfo) {
    try {
      const { data } = await api.request<{ url: string }>("POST", `/files/${file.id}/link`);
      const link = document.createElement("a");
      link.href = data.url;
      link.download = file.name;
      link.rel = "noopener";
      link.click();
    } catch (e) {
      toast(errorText(e));
    }
  }

  return (
    <section
      class={`files${dragging ? " dragging" : ""}`}
      aria-labelledby="files-title"
      onDragOver={(e) => {
        if (!canWrite || !e.dataTransfer?.types.includes("Files")) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        if (!canWrite || !e.dataTransfer?.files.length) return;
        e.preventDefault();
        setDragging(false);
        void send(e.dataTransfer.files);
      }}
    >
      <h2 id="files-title">
        Attachments <span class="count">{files.length}</span>
      </h2>
      <ul class="file-list">
        {files.map((f) => (
          <li key={f.id} class="file card" data-testid="file">
            {IMAGES.has(f.content_type) ? <Thumbnail file={f} /> : <span class="file-icon" aria-hidden="true">{f.name.split(".").pop()?.slice(0, 4).toUpperCase() || "FILE"}</span>}
            <div class="file-info">
              <button type="button" class="link file-name" onClick={() => void download(f)} title={`Download ${f.name}`}>
                {f.name}
              </button>
              <span class="muted small">
                {fileSize(f.size)}
                {f.width ? ` · ${f.width}×${f.height}` : ""} · {memberName(members, f.uploaded_by)}
              </span>
            </div>
            {canWrite && (
              <button
                type="button"
                class="link danger"
                aria-label={`Delete ${f.name}`}
                onClick={async () => {
                  if (!confirm(`Delete ${f.name}?`)) return;
                  try {
                    await api.request("DELETE", `/files/${f.id}`);
                    await load();
                  } catch (e) {
                    toast(errorText(e));
                  }
                }}
              >
                ×
              </button>
            )}
          </li>
        ))}
      </ul>
      {uploads.map((u) => (
        <div key={u.key} class="upload">
          <span>{u.name}</span>
          <progress max={1} value={u.progress} aria-label={`Uploading ${u.name}`} />
        </div>
      ))}
      {canWrite && (
        <label class="drop-zone">
          <input type="file" multiple class="sr-only" name="file" onChange={(e) => {
            const input = e.currentTarget;
            if (input.files?.length) void send(input.files).then(() => (input.value = ""));
          }} />
          <span>Drop files here or <u>choose files</u></span>
        </label>
      )}
    </section>
  );
}

function Thumbnail({ file }: { file: FileInfo }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let made: string | null = null;
    let alive = true;
    api
      .blob(`/files/${file.id}/thumbnail`)
      .then((blob) => {
        if (!alive) return;
        made = URL.createObjectURL(blob);
        setUrl(made);
      })
      .catch(() => undefined);
    return () => {
      alive = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [file.id]);
  return url ? (
    <img class="thumb" src={url} alt={`Preview of ${file.name}`} data-testid="preview" />
  ) : (
    <span class="thumb placeholder" aria-hidden="true" />
  );
}
