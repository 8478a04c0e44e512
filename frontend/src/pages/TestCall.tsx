import { RoomAudioRenderer, RoomContext } from "@livekit/components-react";
import { Room, RoomEvent } from "livekit-client";
import { useEffect, useRef, useState } from "react";
import { Appointment, CallDetail, Page, WebTestCall, get, post } from "../api";
import { label, money, time } from "../format";

const CONNECT_TIMEOUT_MS = 10000;
const EVENTS_TOPIC = "call-events";

type Phase = "idle" | "token" | "connecting" | "live" | "ended" | "unreachable" | "error";
interface Line { kind: "transcript" | "tool"; role?: string; text?: string; name?: string; status?: string }
interface Summary { outcome: string; summary: string; cost_usd?: number }

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("timeout")), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}

export function TestCall() {
  const [appointments, setAppointments] = useState<Appointment[]>([]);
  const [choice, setChoice] = useState("");
  const [name, setName] = useState("Test Patient");
  const [phase, setPhase] = useState<Phase>("idle");
  const [message, setMessage] = useState("");
  const [call, setCall] = useState<WebTestCall | null>(null);
  const [lines, setLines] = useState<Line[]>([]);
  const [summary, setSummary] = useState<Summary | null>(null);
  const roomRef = useRef<Room | null>(null);
  const [room, setRoom] = useState<Room | null>(null);

  useEffect(() => {
    get<Page<Appointment>>("/api/appointments", { status: "pending", limit: 100 })
      .then((p) => setAppointments(p.items), () => setAppointments([]));
    return () => { roomRef.current?.disconnect(); };
  }, []);

  // After the call, the stored outcome is the truth (the data channel is best effort).
  useEffect(() => {
    if (phase !== "ended" || !call || summary) return;
    get<CallDetail>(`/api/calls/${call.attempt_id}`).then((c) => {
      if (c.outcome) setSummary({ outcome: c.outcome, summary: c.summary ?? "", cost_usd: c.cost_usd ?? undefined });
    }, () => undefined);
  }, [phase, call, summary]);

  function onData(payload: Uint8Array, _p?: unknown, _k?: unknown, topic?: string) {
    if (topic && topic !== EVENTS_TOPIC) return;
    try {
      const ev = JSON.parse(new TextDecoder().decode(payload));
      if (ev.type === "transcript") setLines((l) => [...l, { kind: "transcript", role: ev.role, text: ev.text }]);
      else if (ev.type === "tool_call") setLines((l) => [...l, { kind: "tool", name: ev.name, status: ev.status }]);
      else if (ev.type === "call_summary") setSummary({ outcome: ev.outcome, summary: ev.summary, cost_usd: ev.cost_usd });
    } catch {
      /* not one of ours */
    }
  }

  async function start() {
    setLines([]);
    setSummary(null);
    setMessage("");
    setPhase("token");
    let tc: WebTestCall;
    try {
      const body = choice ? { appointment_id: Number(choice) } : { test_appointment: { patient_name: name || "Test Patient" } };
      tc = await post<WebTestCall>("/api/test-calls/web", body);
      setCall(tc);
    } catch (e) {
      setPhase("error");
      setMessage(String((e as Error).message));
      return;
    }
    setPhase("connecting");
    const r = new Room({ adaptiveStream: true, dynacast: true });
    roomRef.current = r;
    r.on(RoomEvent.DataReceived, onData);
    r.on(RoomEvent.Disconnected, () => setPhase((p) => (p === "live" ? "ended" : p)));
    try {
      await withTimeout(r.connect(tc.livekit_url, tc.token, { maxRetries: 0 }), CONNECT_TIMEOUT_MS);
    } catch {
      r.disconnect();
      roomRef.current = null;
      setPhase("unreachable");
      setMessage(`Cannot reach LiveKit at ${tc.livekit_url}. The test call did not start; check the LiveKit server or your network and try again.`);
      return;
    }
    setRoom(r);
    setPhase("live");
    try {
      await r.localParticipant.setMicrophoneEnabled(true);
    } catch {
      setMessage("Microphone blocked: allow the microphone for this page to talk to the agent.");
    }
  }

  function hangUp() {
    roomRef.current?.disconnect();
    setPhase("ended");
  }

  const busy = phase === "token" || phase === "connecting" || phase === "live";
  return (
    <section>
      <div className="card">
        <h3>Browser test call</h3>
        <p className="muted">The agent calls you here instead of the patient. It works on a test copy: the real appointment is never changed.</p>
        <div className="form-row">
          <label>Appointment
            <select value={choice} onChange={(e) => setChoice(e.target.value)} disabled={busy} data-testid="appointment-select">
              <option value="">A made-up test appointment</option>
              {appointments.map((a) => (
                <option key={a.id} value={a.id}>{a.patient_name} · {time(a.starts_at)} · {a.provider ?? ""}</option>
              ))}
            </select>
          </label>
          {!choice && (
            <label>Patient name <input value={name} onChange={(e) => setName(e.target.value)} disabled={busy} /></label>
          )}
          {phase === "live" ? (
            <button className="danger" onClick={hangUp}>Hang up</button>
          ) : (
            <button className="primary" onClick={start} disabled={busy} data-testid="start-call">Start call</button>
          )}
        </div>
        <p className={`status ${phase}`} data-testid="call-status">
          {phase === "idle" && "Ready."}
          {phase === "token" && "Getting a token…"}
          {phase === "connecting" && "Connecting to LiveKit…"}
          {phase === "live" && `On the call (room ${call?.room_name}). Speak as the patient.`}
          {phase === "ended" && "Call ended."}
          {phase === "unreachable" && "Cannot reach LiveKit."}
          {phase === "error" && "Could not start the call."}
        </p>
        {message && <p className={phase === "unreachable" || phase === "error" ? "error" : "muted"} data-testid="call-message">{message}</p>}
      </div>
      {room && (
        <RoomContext.Provider value={room}>
          <RoomAudioRenderer />
        </RoomContext.Provider>
      )}
      {(lines.length > 0 || summary) && (
        <div className="two-col">
          <div className="card">
            <h4>Live transcript</h4>
            <ol className="transcript" data-testid="live-transcript">
              {lines.filter((l) => l.kind === "transcript").map((l, i) => (
                <li key={i} className={`turn ${l.role}`}><b>{l.role}</b> {l.text}</li>
              ))}
            </ol>
          </div>
          <div className="card">
            <h4>Tools</h4>
            <ol className="timeline">
              {lines.filter((l) => l.kind === "tool").map((l, i) => (
                <li key={i}><b>{l.name}</b> <span className={`pill ${l.status === "error" ? "bad" : "ok"}`}>{l.status}</span></li>
              ))}
            </ol>
            {summary && (
              <div data-testid="final-outcome">
                <h4>Outcome: <span className={`pill o-${summary.outcome}`}>{label(summary.outcome)}</span></h4>
                <p>{summary.summary}</p>
                {summary.cost_usd != null && <p className="muted">cost {money(summary.cost_usd)}</p>}
              </div>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
