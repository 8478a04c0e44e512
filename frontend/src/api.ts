// Talks to the token server. The API key lives in sessionStorage: it goes away with the tab.
import type { AttemptStatus, Outcome, Status } from "./domain";

const KEY = "clinic-dialer.api-key";
const CLINIC = "clinic-dialer.clinic";

export const session = {
  key: () => sessionStorage.getItem(KEY) ?? "",
  clinic: () => sessionStorage.getItem(CLINIC) ?? "",
  save(key: string, clinic = "") {
    sessionStorage.setItem(KEY, key);
    if (clinic) sessionStorage.setItem(CLINIC, clinic);
    else sessionStorage.removeItem(CLINIC);
  },
  setClinic(clinic: string) {
    sessionStorage.setItem(CLINIC, clinic);
  },
  clear() {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(CLINIC);
  },
};

export class ApiError extends Error {
  constructor(public status: number, message: string) {
    super(message);
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { Authorization: `Bearer ${session.key()}`, ...extra };
  if (session.clinic()) h["X-Clinic"] = session.clinic();
  return h;
}

async function unwrap<T>(r: Response): Promise<T> {
  if (r.ok) return (await r.json()) as T;
  let message = `${r.status} ${r.statusText}`;
  try {
    const body = await r.json();
    message = body.message ?? (typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail));
  } catch {
    /* not JSON */
  }
  throw new ApiError(r.status, message);
}

export async function get<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const qs = q.toString();
  return unwrap<T>(await fetch(`${path}${qs ? `?${qs}` : ""}`, { headers: headers() }));
}

export async function post<T>(path: string, body?: unknown): Promise<T> {
  return unwrap<T>(
    await fetch(path, {
      method: "POST",
      headers: headers({ "Content-Type": "application/json" }),
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}

export async function upload<T>(path: string, file: File): Promise<T> {
  const form = new FormData();
  form.append("file", file);
  return unwrap<T>(await fetch(path, { method: "POST", headers: headers(), body: form }));
}

export async function download(path: string, filename: string): Promise<void> {
  const r = await fetch(path, { headers: headers() });
  if (!r.ok) throw new ApiError(r.status, `download failed (${r.status})`);
  const url = URL.createObjectURL(await r.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.click();
  URL.revokeObjectURL(url);
}

// Shapes returned by the API (see /docs).
export interface Clinic { id: number; slug: string; name: string; timezone: string; paused_at: string | null }
export interface Me { operator: boolean; key_prefix: string; clinic: Clinic | null }
export interface Batch {
  id: number; batch_date: string; planned: number; paused_at: string | null; appointments: number; dialed: number;
  reached: number; in_flight: number; pending: number; confirmed: number; rescheduled: number; cancelled: number;
  unreachable: number; staff_followup: number; voicemail_left: number;
}
export interface DayStats {
  date: string; calls: number; in_flight: number; outcomes: Partial<Record<Outcome, number>>; appointments_called: number;
  appointments_confirmed: number; confirmation_rate: number | null; total_cost_usd: number;
  cost_per_confirmed_usd: number | null; batch: Batch | null;
}
export interface CallRow {
  id: number; appointment_id: number; external_id: string; patient_name: string; phone_masked: string;
  appointment_starts_at: string; attempt_number: number; mode: string; status: AttemptStatus; outcome: Outcome | null;
  planned_at: string; ended_at: string | null; duration_seconds: number | null; cost_usd: number | null;
}
export interface TranscriptItem {
  role?: string; text?: string; name?: string; ok?: boolean; at?: string; t?: number; filler?: boolean;
}
export interface CallDetail extends CallRow {
  provider: string | null; appointment_status: Status; sip_status_code: number | null; sip_status: string | null;
  error: string | null; dispatched_at: string | null; dial_started_at: string | null; answered_at: string | null;
  summary: string | null; transcript: TranscriptItem[];
  timeline: { at: string | null; kind: string; actor: string; data: Record<string, unknown> }[];
}
export interface Page<T> { items: T[]; total: number; limit: number; offset: number }
export interface Appointment {
  id: number; external_id: string; patient_name: string; starts_at: string; provider: string | null; status: Status;
}
export interface RowError { row: number | null; column: string | null; message: string }
export interface ImportReport {
  call_list_id: number; imported: number; updated: number; unchanged: number; rejected: number; errors: RowError[];
}
export interface WebTestCall {
  attempt_id: number; appointment_id: number; room_name: string; livekit_url: string; token: string;
  identity: string; expires_at: string;
}
