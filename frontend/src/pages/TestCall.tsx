import { RoomAudioRenderer, RoomContext } from "@livekit/components-react";
import {
  LocalAudioTrack, Participant, ParticipantEvent, RemoteAudioTrack, RemoteParticipant, Room, RoomEvent, Track,
  createAudioAnalyser,
} from "livekit-client";
import { useEffect, useRef, useState } from "react";
import { Appointment, CallDetail, Page, WebTestCall, get, post } from "../api";
import { label, money, time } from "../format";
import { CallView } from "./Dashboard";

// Staff must hear within 5 s what is wrong: LiveKit (no room) or the agent (nobody joined the room).
const CONNECT_TIMEOUT_MS = 5000;
const AGENT_WARN_MS = 5000;
const AGENT_GIVE_UP_MS = 20000;
const EVENTS_TOPIC = "call-events";   // agent/events.py
const AGENT_STATE = "lk.agent.state"; // set by livekit-agents: initializing | listening | thinking | speaking

type Phase = "idle" | "token" | "connecting" | "waiting" | "live" | "ended" | "unreachable" | "no-agent" | "error";
interface Turn { role: string; text: string; filler: boolean }
interface Tool { callId: string; name: string; status: string; detail?: string | null }
interface Summary { outcome: string; summary: string; cost_usd?: number }

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("timeout")), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}

/** Audio level (0..1) of one side, from the track's own samples; `peak` stays as proof that sound came. */
function Meter({ who, track }: { who: string; track: LocalAudioTrack | RemoteAudioTrack | null }) {
  const [level, setLevel] = useState(0);
  const peak = useRef(0);
  useEffect(() => {
    if (!track) { setLevel(0); return; }
    // livekit-client's default dB window (-100..-80) makes a decoder's comfort noise read as full volume.
    const { calculateVolume, cleanup } = createAudioAnalyser(track, {
      cloneTrack: track instanceof LocalAudioTrack, minDecibels: -85, maxDecibels: -25,
    });
    const t = setInterval(() => {
      const v = calculateVolume();
      peak.current = Math.max(peak.current, v);
      setLevel(v);
    }, 100);
    return () => { clearInterval(t); void cleanup(); };
  }, [track]);
  const share = Math.min(100, Math.round(level * 200));
  return (
    <div className="meter-row" data-testid={`meter-${who}`} data-peak={peak.current.toFixed(3)}>
      <span className="meter-label">{who === "you" ? "You" : "Agent"}</span>
      <div className="meter"><span style={{ width: `${share}%` }} /></div>
    </div>
  );
}

function agentAudio(p: Participant | null): RemoteAudioTrack | null {
  if (!p) return null;
  // The agent's voice is its microphone track; the thinking sound (background audio) is a second track.
  const pubs = Array.from(p.audioTrackPublications.values());
  const voice = pubs.find((t) => t.source === Track.Source.Microphone) ?? pubs[0];
  return (voice?.track as RemoteAudioTrack | undefined) ?? null;
}

export function TestCall() {
  const [appointments, setAppointments] = useState<Appointment[]>([]);
  const [choice, setChoice] = useState("");
  const [name, setName] = useState("Test Patient");
  const [phase, setPhase] = useState<Phase>("idle");
  const [message, setMessage] = useState("");
  const [call, setCall] = useState<WebTestCall | null>(null);
  const [turns, setTurns] = useState<Turn[]>([]);
  const [tools, setTools] = useState<Tool[]>([]);
  const [summary, setSummary] = useState<Summary | null>(null);
  const [agentState, setAgentState] = useState("");
  const [agent, setAgent] = useState<RemoteParticipant | null>(null);
  const [agentTrack, setAgentTrack] = useState<RemoteAudioTrack | null>(null);
  const [micTrack, setMicTrack] = useState<LocalAudioTrack | null>(null);
  const [stored, setStored] = useState<number | null>(null);
  const roomRef = useRef<Room | null>(null);
  const timers = useRef<number[]>([]);
  const [room, setRoom] = useState<Room | null>(null);

  useEffect(() => {
    get<Page<Appointment>>("/api/appointments", { status: "pending", limit: 100 })
      .then((p) => setAppointments(p.items), () => setAppointments([]));
    return () => { clearTimers(); roomRef.current?.disconnect(); };
  }, []);

  function clearTimers() {
    timers.current.forEach((t) => clearTimeout(t));
    timers.current = [];
  }

  // After the call the stored attempt is the truth (the data channel is best effort): wait for its outcome,
  // then open it in the call view.
  useEffect(() => {
    if (phase !== "ended" || !call || stored) return;
    let tries = 0;
    const poll = () => {
      get<CallDetail>(`/api/calls/${call.attempt_id}`).then((c) => {
        if (c.outcome) {
          setSummary((s) => s ?? { outcome: c.outcome!, summary: c.summary ?? "", cost_usd: c.cost_usd ?? undefined });
          setStored(c.id);
        } else if (++tries < 30) timers.current.push(window.setTimeout(poll, 1000));
      }, () => undefined);
    };
    poll();
  }, [phase, call, stored]);

  function onData(payload: Uint8Array, _p?: unknown, _k?: unknown, topic?: string) {
    if (topic && topic !== EVENTS_TOPIC) return;
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(new TextDecoder().decode(payload));
    } catch {
      return; /* not one of ours */
    }
    if (ev.type === "transcript") {
      setTurns((l) => [...l, { role: String(ev.role), text: String(ev.text), filler: Boolean(ev.filler) }]);
    } else if (ev.type === "tool_call") {
      const t: Tool = { callId: String(ev.call_id), name: String(ev.name), status: String(ev.status),
                        detail: ev.detail as string | null };
      setTools((l) => l.some((x) => x.callId === t.callId) ? l.map((x) => (x.callId === t.callId ? t : x)) : [...l, t]);
    } else if (ev.type === "call_summary") {
      setSummary({ outcome: String(ev.outcome), summary: String(ev.summary), cost_usd: Number(ev.cost_usd) });
    }
  }

  function watchAgent(r: Room, p: RemoteParticipant) {
    if (!p.isAgent) return;
    clearTimers();
    setAgent(p);
    setPhase("live");
    setMessage("");
    setAgentState(p.attributes[AGENT_STATE] ?? "");
    p.on(ParticipantEvent.AttributesChanged, () => setAgentState(p.attributes[AGENT_STATE] ?? ""));
    const refresh = () => setAgentTrack(agentAudio(p));
    p.on(ParticipantEvent.TrackSubscribed, refresh);
    p.on(ParticipantEvent.TrackUnsubscribed, refresh);
    refresh();
    void r;
  }

  async function abandon(tc: WebTestCall) {
    try {
      await post(`/api/test-calls/web/${tc.attempt_id}/abandon`);
    } catch {
      /* the reaper ends it later */
    }
  }

  async function start() {
    clearTimers();
    setTurns([]);
    setTools([]);
    setSummary(null);
    setStored(null);
    setAgent(null);
    setAgentTrack(null);
    setAgentState("");
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
    r.on(RoomEvent.ParticipantConnected, (p) => watchAgent(r, p));
    r.on(RoomEvent.ParticipantDisconnected, (p) => {
      if (p.isAgent) { r.disconnect(); setPhase((ph) => (ph === "live" ? "ended" : ph)); }
    });
    r.on(RoomEvent.Disconnected, () => setPhase((p) => (p === "live" || p === "waiting" ? "ended" : p)));
    try {
      await withTimeout(r.connect(tc.livekit_url, tc.token, { maxRetries: 0 }), CONNECT_TIMEOUT_MS);
    } catch {
      r.disconnect();
      roomRef.current = null;
      void abandon(tc);
      setPhase("unreachable");
      setMessage(`Cannot reach LiveKit at ${tc.livekit_url}. The test call did not start; check that the LiveKit server is running (python -m sim.livekit_stack status) and that this browser can reach that address (LIVEKIT_PUBLIC_URL), then try again.`);
      return;
    }
    setRoom(r);
    setPhase("waiting");
    r.remoteParticipants.forEach((p) => watchAgent(r, p));
    timers.current.push(window.setTimeout(() => {
      if (Array.from(r.remoteParticipants.values()).some((p) => p.isAgent)) return;
      setMessage("The agent has not answered yet: no agent worker has taken the call. Check that the agent worker is running (python -m agent start) with the token server's AGENT_NAME; still waiting…");
    }, AGENT_WARN_MS));
    timers.current.push(window.setTimeout(() => {
      if (Array.from(r.remoteParticipants.values()).some((p) => p.isAgent)) return;
      r.disconnect();
      void abandon(tc);
      setPhase("no-agent");
      setMessage(`The agent did not answer within ${AGENT_GIVE_UP_MS / 1000} s, so the test call was ended. Start the agent worker (python -m agent start) and try again.`);
    }, AGENT_GIVE_UP_MS));
    try {
      await r.localParticipant.setMicrophoneEnabled(true);
      const pub = r.localParticipant.getTrackPublication(Track.Source.Microphone);
      setMicTrack((pub?.track as LocalAudioTrack | undefined) ?? null);
    } catch {
      setMessage("Microphone blocked: allow the microphone for this page to talk to the agent.");
    }
  }

  function hangUp() {
    clearTimers();
    roomRef.current?.disconnect();
    setPhase("ended");
  }

  const busy = phase === "token" || phase === "connecting" || phase === "waiting" || phase === "live";
  const onCall = phase === "waiting" || phase === "live";
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
          {onCall ? (
            <button className="danger" onClick={hangUp} data-testid="hang-up">Hang up</button>
          ) : (
            <button className="primary" onClick={start} disabled={busy} data-testid="start-call">Start call</button>
          )}
        </div>
        <p className={`status ${phase}`} data-testid="call-status">
          {phase === "idle" && "Ready."}
          {phase === "token" && "Getting a token…"}
          {phase === "connecting" && "Connecting to LiveKit…"}
          {phase === "waiting" && `In the room (${call?.room_name}); waiting for the agent…`}
          {phase === "live" && `On the call (room ${call?.room_name}). Speak as the patient.`}
          {phase === "ended" && "Call ended."}
          {phase === "unreachable" && "Cannot reach LiveKit."}
          {phase === "no-agent" && "The agent is not answering."}
          {phase === "error" && "Could not start the call."}
        </p>
        {message && <p className={phase === "live" ? "muted" : "error"} data-testid="call-message">{message}</p>}
        {onCall && (
          <div className="meters">
            <Meter who="you" track={micTrack} />
            <Meter who="agent" track={agentTrack} />
            {agent && <span className={`pill agent-state ${agentState}`} data-testid="agent-state">{agentState || "joining"}</span>}
          </div>
        )}
      </div>
      {room && (
        <RoomContext.Provider value={room}>
          <RoomAudioRenderer />
        </RoomContext.Provider>
      )}
      {(turns.length > 0 || tools.length > 0 || summary) && (
        <div className="two-col">
          <div className="card">
            <h4>Live transcript</h4>
            <ol className="transcript" data-testid="live-transcript">
              {turns.map((l, i) => (
                <li key={i} className={`turn ${l.role}${l.filler ? " filler" : ""}`}><b>{l.role}</b> {l.text}</li>
              ))}
            </ol>
          </div>
          <div className="card">
            <h4>Tools</h4>
            <ol className="timeline" data-testid="tool-events">
              {tools.map((t) => (
                <li key={t.callId} data-tool={t.name} data-status={t.status}>
                  <b>{t.name}</b>{" "}
                  <span className={`pill ${t.status === "error" ? "bad" : t.status === "success" ? "ok" : "warn"}`}>{t.status}</span>
                  {t.detail && <span className="muted"> {t.detail}</span>}
                </li>
              ))}
              {!tools.length && <li className="muted">No tool called yet.</li>}
            </ol>
            {summary && (
              <div className="final-outcome" data-testid="final-outcome">
                <h4>Outcome: <span className={`pill o-${summary.outcome}`}>{label(summary.outcome)}</span></h4>
                <p>{summary.summary}</p>
                {summary.cost_usd != null && <p className="muted">cost {money(summary.cost_usd)}</p>}
              </div>
            )}
          </div>
        </div>
      )}
      {stored && call && <CallView id={stored} onClose={() => setCall(null)} />}
    </section>
  );
}
