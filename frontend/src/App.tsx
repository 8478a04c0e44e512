import { useEffect, useState } from "react";
import { Clinic, Me, get, session } from "./api";
import { setDisplayZone } from "./format";
import { Dashboard } from "./pages/Dashboard";
import { TestCall } from "./pages/TestCall";
import { Upload } from "./pages/Upload";

const PAGES = { dashboard: "Dashboard", upload: "Upload", "test-call": "Test call" } as const;
type PageName = keyof typeof PAGES;

// `make demo` prints a URL ending in #key=...: take the key into session storage and out of the address bar.
const fromUrl = /[#&]key=([^&]+)/.exec(window.location.hash);
// `#...&date=YYYY-MM-DD` opens the dashboard on that calling day (make demo points at the night's first day).
const dayFromUrl = /[#&]date=(\d{4}-\d{2}-\d{2})/.exec(window.location.hash);
if (dayFromUrl) sessionStorage.setItem("dashboard-day", dayFromUrl[1]);
if (fromUrl) {
  session.save(decodeURIComponent(fromUrl[1]));
  history.replaceState(null, "", window.location.pathname + "#/dashboard");
}

function currentPage(): PageName {
  const h = window.location.hash.replace(/^#\/?/, "");
  return (h in PAGES ? h : "dashboard") as PageName;
}

function KeyForm({ onDone, error }: { onDone: () => void; error: string }) {
  const [key, setKey] = useState("");
  const [clinic, setClinic] = useState("");
  return (
    <form className="card key-form" onSubmit={(e) => { e.preventDefault(); session.save(key.trim(), clinic.trim()); onDone(); }}>
      <h2>Sign in with your clinic's API key</h2>
      <p className="muted">Kept in this browser tab only (session storage). Create one with <code>python -m dialer keys create</code>.</p>
      <label>API key <input type="password" value={key} onChange={(e) => setKey(e.target.value)} autoFocus data-testid="api-key" /></label>
      <label>Clinic (operator keys only) <input value={clinic} onChange={(e) => setClinic(e.target.value)} placeholder="e.g. sunrise-family" /></label>
      {error && <p className="error">{error}</p>}
      <button className="primary" type="submit" disabled={!key.trim()}>Continue</button>
    </form>
  );
}

export function App() {
  const [page, setPage] = useState<PageName>(currentPage());
  const [me, setMe] = useState<Me | null>(null);
  const [clinics, setClinics] = useState<Clinic[]>([]);
  const [authError, setAuthError] = useState("");
  const [version, setVersion] = useState(0);

  useEffect(() => {
    const onHash = () => setPage(currentPage());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  useEffect(() => {
    if (!session.key()) return;
    get<Me>("/api/me").then(
      (m) => {
        setDisplayZone(m.clinic?.timezone);
        setMe(m);
        setAuthError("");
        if (m.operator) get<Clinic[]>("/api/clinics").then(setClinics, () => undefined);
      },
      (e) => { setMe(null); setAuthError(String(e.message)); session.clear(); },
    );
  }, [version]);

  if (!me) return <main className="narrow"><KeyForm onDone={() => setVersion((v) => v + 1)} error={authError} /></main>;

  return (
    <>
      <header>
        <div className="brand">{me.clinic ? me.clinic.name : "All clinics (operator)"}</div>
        <nav>
          {(Object.keys(PAGES) as PageName[]).map((p) => (
            <a key={p} href={`#/${p}`} className={p === page ? "active" : ""}>{PAGES[p]}</a>
          ))}
        </nav>
        <div className="who">
          {me.operator && (
            <select value={session.clinic()} aria-label="Clinic"
              onChange={(e) => { session.setClinic(e.target.value); setVersion((v) => v + 1); }}>
              <option value="">Pick a clinic…</option>
              {clinics.map((c) => <option key={c.slug} value={c.slug}>{c.name}</option>)}
            </select>
          )}
          <button onClick={() => { session.clear(); setMe(null); }}>Sign out</button>
        </div>
      </header>
      <main key={`${version}-${page}`}>
        {!me.clinic ? <p className="card">Pick a clinic to see its data.</p> : (
          <>
            {page === "dashboard" && <Dashboard />}
            {page === "upload" && <Upload />}
            {page === "test-call" && <TestCall />}
          </>
        )}
      </main>
    </>
  );
}
