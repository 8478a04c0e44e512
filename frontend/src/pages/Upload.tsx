import { useState } from "react";
import { ImportReport, download, upload } from "../api";

export function Upload() {
  const [dragging, setDragging] = useState(false);
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [error, setError] = useState("");
  const [filename, setFilename] = useState("");

  async function send(file: File) {
    setBusy(true);
    setError("");
    setReport(null);
    setFilename(file.name);
    try {
      setReport(await upload<ImportReport>("/api/call-lists", file));
    } catch (e) {
      setError(String((e as Error).message));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section>
      <label
        className={`dropzone${dragging ? " over" : ""}`}
        onDragOver={(e) => { e.preventDefault(); setDragging(true); }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          const f = e.dataTransfer.files[0];
          if (f) send(f);
        }}
      >
        <input type="file" accept=".csv,text/csv" data-testid="file-input"
          onChange={(e) => e.target.files?.[0] && send(e.target.files[0])} />
        <strong>Drop the call list here</strong> or click to choose a CSV
        <small>Columns: external_id, patient_name, phone, appointment_start, duration_minutes, provider, location</small>
      </label>
      {busy && <p>Importing {filename}…</p>}
      {error && <div className="card error" data-testid="upload-error">{filename}: {error}</div>}
      {report && (
        <div className="card" data-testid="import-report">
          <h3>{filename}</h3>
          <div className="tiles">
            <div className="tile"><span>New</span><strong>{report.imported}</strong></div>
            <div className="tile"><span>Updated</span><strong>{report.updated}</strong></div>
            <div className="tile"><span>Unchanged</span><strong>{report.unchanged}</strong></div>
            <div className={`tile${report.rejected ? " bad" : ""}`}><span>Rows with errors</span><strong data-testid="rejected-count">{report.rejected}</strong></div>
          </div>
          {report.errors.length > 0 && (
            <>
              <div className="row-between">
                <h4>Row errors (these rows were not imported; the others were)</h4>
                <button onClick={() => download(`/api/call-lists/${report.call_list_id}/errors.csv`,
                  `${filename.replace(/\.csv$/i, "")}-errors.csv`)}>Download errors CSV</button>
              </div>
              <div className="table-wrap">
                <table data-testid="row-errors">
                  <thead><tr><th>Row</th><th>Column</th><th>Problem</th></tr></thead>
                  <tbody>
                    {report.errors.map((e, i) => (
                      <tr key={i}><td>{e.row ?? "file"}</td><td>{e.column ?? ""}</td><td>{e.message}</td></tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </div>
      )}
    </section>
  );
}
