import { useCallback, useEffect, useState } from "react";
import { CallDetail, CallRow, DayStats, Page, get } from "../api";
import { OutcomeChart } from "../OutcomeChart";
import { OUTCOME_COLORS, label, money, pct, seconds, time } from "../format";

const OUTCOMES = Object.keys(OUTCOME_COLORS);

function Progress({ stats }: { stats: DayStats }) {
  const b = stats.batch;
  if (!b) return <p className="muted">No batch built yet.</p>;
  const done = b.appointments - b.pending;
  const share = b.appointments ? (done / b.appointments) * 100 : 0;
  return (
    <div data-testid="batch-progress">
      <div className="progress"><span style={{ width: `${share}%` }} /></div>
      <p>
        <strong>{done}</strong> of {b.appointments} appointments settled · {b.dialed} dialed · {b.reached} reached ·{" "}
        {b.in_flight} on the line now {b.paused_at && <span className="pill warn">paused</span>}
      </p>
    </div>
  );
}

export function CallView({ id, onClose }: { id: number; onClose: () => void }) {
  const [call, setCall] = useState<CallDetail | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    get<CallDetail>(`/api/calls/${id}`).then(setCall, (e) => setError(String(e.message)));
  }, [id]);
  if (error) return <div className="card error">{error}</div>;
  if (!call) return <div className="card">Loading call…</div>;
  const turns = call.transcript.filter((t) => t.role !== "tool");
  const tools = call.transcript.filter((t) => t.role === "tool");
  return (
    <div className="card call-view" data-testid="call-view">
      <div className="row-between">
        <h3>
          Call #{call.id} · {call.patient_name} · <span className={`pill o-${call.outcome}`}>{label(call.outcome)}</span>
        </h3>
        <button onClick={onClose}>Close</button>
      </div>
      <p className="muted">
        {call.phone_masked} · appointment {time(call.appointment_starts_at)} {call.provider ?? ""} · attempt{" "}
        {call.attempt_number} · {call.mode} · {seconds(call.duration_seconds)} · {money(call.cost_usd)}
      </p>
      {call.summary && <p className="summary">{call.summary}</p>}
      {call.error && <p className="error">{call.error}</p>}
      <div className="two-col">
        <div>
          <h4>Transcript</h4>
          {turns.length ? (
            <ol className="transcript">
              {turns.map((t, i) => (
                <li key={i} className={`turn ${t.role}${t.filler ? " filler" : ""}`}>
                  <b>{t.role}</b> {t.text}
                </li>
              ))}
            </ol>
          ) : (
            <p className="muted">No transcript.</p>
          )}
        </div>
        <div>
          <h4>Tool timeline</h4>
          <ol className="timeline">
            {tools.map((t, i) => (
              <li key={`t${i}`}>
                <span className="muted">{t.t != null ? `${t.t.toFixed(1)} s` : ""}</span> <b>{t.name}</b>{" "}
                {t.ok === false ? <span className="pill bad">error</span> : <span className="pill ok">ok</span>}
              </li>
            ))}
            {call.timeline.map((e, i) => (
              <li key={`e${i}`}>
                <span className="muted">{time(e.at)}</span> {label(e.kind)} <span className="muted">({e.actor})</span>
              </li>
            ))}
            {!tools.length && !call.timeline.length && <li className="muted">Nothing recorded.</li>}
          </ol>
        </div>
      </div>
    </div>
  );
}

export function Dashboard() {
  const [stats, setStats] = useState<DayStats | null>(null);
  const [calls, setCalls] = useState<Page<CallRow> | null>(null);
  const [outcome, setOutcome] = useState("");
  const [day, setDay] = useState(sessionStorage.getItem("dashboard-day") ?? "");
  const [selected, setSelected] = useState<number | null>(null);
  const [error, setError] = useState("");

  const load = useCallback(async () => {
    try {
      const s = await get<DayStats>("/api/stats", { date: day || undefined });
      setStats(s);
      setCalls(await get<Page<CallRow>>("/api/calls", { date: s.date, outcome: outcome || undefined, limit: 100 }));
      setError("");
    } catch (e) {
      setError(String((e as Error).message));
    }
  }, [day, outcome]);

  useEffect(() => {
    load();
    const t = setInterval(load, 10000);
    return () => clearInterval(t);
  }, [load]);

  return (
    <section>
      {error && <div className="card error">{error}</div>}
      <div className="toolbar">
        <label>
          Calling day <input type="date" value={day || stats?.date || ""} onChange={(e) => setDay(e.target.value)} />
        </label>
        <button onClick={load}>Refresh</button>
      </div>
      {stats && (
        <>
          <div className="tiles">
            <div className="tile"><span>Calls</span><strong data-testid="calls-count">{stats.calls}</strong></div>
            <div className="tile"><span>Confirmation rate</span><strong data-testid="confirmation-rate">{pct(stats.confirmation_rate)}</strong>
              <small>{stats.appointments_confirmed} of {stats.appointments_called} called</small></div>
            <div className="tile"><span>Cost per confirmed</span><strong data-testid="cost-per-confirmed">{money(stats.cost_per_confirmed_usd)}</strong>
              <small>total {money(stats.total_cost_usd)}</small></div>
            <div className="tile"><span>On the line</span><strong>{stats.in_flight}</strong></div>
          </div>
          <div className="two-col">
            <div className="card">
              <h3>Batch {stats.batch ? stats.batch.batch_date : ""}</h3>
              <Progress stats={stats} />
            </div>
            <div className="card">
              <h3>Outcomes</h3>
              <OutcomeChart outcomes={stats.outcomes} />
            </div>
          </div>
        </>
      )}
      {selected != null && <CallView id={selected} onClose={() => setSelected(null)} />}
      <div className="card">
        <div className="row-between">
          <h3>Calls {calls ? `(${calls.total})` : ""}</h3>
          <select value={outcome} onChange={(e) => setOutcome(e.target.value)} aria-label="Filter by outcome">
            <option value="">All outcomes</option>
            {OUTCOMES.map((o) => <option key={o} value={o}>{label(o)}</option>)}
          </select>
        </div>
        <div className="table-wrap">
          <table data-testid="calls-table">
            <thead>
              <tr><th>Time</th><th>Patient</th><th>Phone</th><th>Appointment</th><th>Try</th><th>Outcome</th><th>Length</th><th>Cost</th></tr>
            </thead>
            <tbody>
              {calls?.items.map((c) => (
                <tr key={c.id} onClick={() => setSelected(c.id)} className="clickable">
                  <td>{time(c.planned_at)}</td><td>{c.patient_name}</td><td>{c.phone_masked}</td>
                  <td>{time(c.appointment_starts_at)}</td><td>{c.attempt_number}</td>
                  <td><span className={`pill o-${c.outcome ?? "in-flight"}`}>{c.outcome ? label(c.outcome) : label(c.status)}</span></td>
                  <td>{seconds(c.duration_seconds)}</td><td>{money(c.cost_usd)}</td>
                </tr>
              ))}
              {calls && !calls.items.length && <tr><td colSpan={8} className="muted">No calls.</td></tr>}
            </tbody>
          </table>
        </div>
      </div>
    </section>
  );
}
