import type { Outcome } from "./domain";
import { OUTCOME_COLORS, label } from "./format";

/** Horizontal bars, biggest first: readable at a glance on a tablet, no chart library needed. */
export function OutcomeChart({ outcomes }: { outcomes: Partial<Record<Outcome, number>> }) {
  const entries = Object.entries(outcomes).sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  if (!entries.length) return <p className="muted">No calls ended yet.</p>;
  return (
    <div className="chart" role="img" aria-label="Calls by outcome" data-testid="outcome-chart">
      {entries.map(([outcome, n]) => (
        <div className="bar-row" key={outcome} data-outcome={outcome}>
          <span className="bar-label">{label(outcome)}</span>
          <span className="bar-track">
            <span className="bar" style={{ width: `${(n / max) * 100}%`, background: OUTCOME_COLORS[outcome as Outcome] }} />
          </span>
          <span className="bar-value">{n}</span>
        </div>
      ))}
    </div>
  );
}
