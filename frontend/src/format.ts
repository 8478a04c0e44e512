import type { Outcome } from "./domain";

// One colour per outcome: `tsc` fails when an outcome (domain.ts, generated from the Python enum) has none.
export const OUTCOME_COLORS: Record<Outcome, string> = {
  confirmed: "#1a7f4b", rescheduled: "#2f6fb3", cancelled: "#8a5a00", callback_requested: "#6b5bb3",
  voicemail_left: "#7a7f87", no_answer: "#a0a6ad", busy: "#b5762a", rejected: "#b34040", failed: "#c0392b",
  hung_up: "#9a6b6b", lost: "#5c5c5c", not_patient: "#8e7cc3", wrong_number: "#c27ba0", opted_out: "#444",
  transferred: "#3d8b8b",
};

export const label = (s: string | null | undefined) => (s ?? "—").replace(/_/g, " ");
export const money = (v: number | null | undefined) => (v == null ? "—" : `$${v.toFixed(2)}`);
export const pct = (v: number | null | undefined) => (v == null ? "—" : `${Math.round(v * 100)}%`);
// Times show in the clinic's zone, where its calling hours and appointments live, not the browser's.
let displayZone: string | undefined;
export const setDisplayZone = (tz: string | undefined) => { displayZone = tz; };
export const time = (iso: string | null | undefined) =>
  iso ? new Date(iso).toLocaleString([], { timeZone: displayZone, month: "short", day: "numeric", hour: "2-digit",
                                           minute: "2-digit" }) : "—";
export const seconds = (v: number | null | undefined) => (v == null ? "—" : `${Math.round(v)} s`);
