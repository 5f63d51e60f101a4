// The studio's page: Preact components written with htm (no build step). Everything it
// shows comes from the studio's JSON API; text goes through Preact, which escapes it. The
// only markup it inserts as is are the DAG, timeline and workflow diagrams, which the
// server renders with every name, message and value escaped.

import htm from "htm";
import { h, render } from "preact";
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";

const html = htm.bind(h);

const STATUSES = ["running", "interrupted", "compensating", "succeeded", "failed", "cancelled", "timed_out"];

// --- data -------------------------------------------------------------------------

async function api(path, init) {
  const response = await fetch(path, {
    ...init,
    headers: { "x-rubberduck-studio": "1", ...(init?.body ? { "content-type": "application/json" } : {}) },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error?.message ?? `${response.status} ${response.statusText}`);
  return body;
}

/** One EventSource for the page; components hear the ids of executions that changed. */
const live = (() => {
  const listeners = new Set();
  const state = { connected: false, onState: new Set() };
  const source = new EventSource("/api/live");
  const setConnected = (value) => {
    state.connected = value;
    for (const f of state.onState) f(value);
  };
  source.addEventListener("hello", () => setConnected(true));
  source.addEventListener("changed", (message) => {
    const ids = JSON.parse(message.data);
    for (const f of listeners) f(ids);
  });
  source.onerror = () => setConnected(false);
  return { listeners, state };
})();

function useLive(onChange) {
  const latest = useRef(onChange);
  latest.current = onChange;
  useEffect(() => {
    const f = (ids) => latest.current(ids);
    live.listeners.add(f);
    return () => live.listeners.delete(f);
  }, []);
}

function useConnected() {
  const [connected, setConnected] = useState(live.state.connected);
  useEffect(() => {
    live.state.onState.add(setConnected);
    return () => live.state.onState.delete(setConnected);
  }, []);
  return connected;
}

/**
 * Load `path`, again on `reload()`; a reload while one is in flight runs once it ends,
 * and always for the path asked for last (an answer for an earlier path is dropped).
 */
function useJson(path) {
  const [state, setState] = useState({ data: undefined, error: undefined });
  const current = useRef(path);
  current.current = path;
  const busy = useRef(false);
  const again = useRef(false);
  const load = useCallback(async () => {
    if (busy.current) {
      again.current = true;
      return;
    }
    busy.current = true;
    const asked = current.current;
    try {
      const data = await api(asked);
      if (asked === current.current) setState({ data, error: undefined });
      else again.current = true;
    } catch (error) {
      if (asked === current.current) setState((s) => ({ data: s.data, error: error.message }));
    } finally {
      busy.current = false;
      if (again.current) {
        again.current = false;
        load();
      }
    }
  }, []);
  useEffect(() => {
    setState({ data: undefined, error: undefined });
    load();
  }, [path, load]);
  return [state, load];
}

// --- formatting ------------------------------------------------------------------

const ms = (n) => {
  if (n === undefined || n === null) return "";
  if (n < 1000) return `${Math.round(n)} ms`;
  if (n < 60_000) return `${(n / 1000).toFixed(n < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(n / 60_000)} min ${Math.round((n % 60_000) / 1000)} s`;
};
const when = (t) => (t ? new Date(t).toLocaleString() : "");
const json = (v) => (v === undefined ? "" : JSON.stringify(v, null, 2));

function Badge({ status }) {
  return html`<span class="badge status st-${status}" data-status=${status}>${String(status).replace("_", " ")}</span>`;
}

// --- pages -------------------------------------------------------------------------

function ExecutionsPage({ query }) {
  const status = query.get("status") ?? "";
  const wf = query.get("workflow") ?? "";
  const cursor = query.get("cursor") ?? "";
  const params = new URLSearchParams();
  if (status) params.set("status", status);
  if (wf) params.set("workflow", wf);
  if (cursor) params.set("cursor", cursor);
  const page = (next) => {
    const q = new URLSearchParams(query);
    if (next) q.set("cursor", next);
    else q.delete("cursor");
    return `#/?${q}`;
  };
  const [{ data, error }, reload] = useJson(`/api/executions?${params}`);
  useLive(() => reload());
  const filter = (key, value) => {
    const next = new URLSearchParams(query);
    next.delete("cursor");
    if (value) next.set(key, value);
    else next.delete(key);
    location.hash = `#/?${next}`;
  };
  return html`<section class="card executions">
    <h2>Executions</h2>
    <div class="filters">
      <label>Status <select name="status" value=${status} onChange=${(e) => filter("status", e.target.value)}>
        <option value="">any</option>
        ${STATUSES.map((s) => html`<option value=${s}>${s.replace("_", " ")}</option>`)}
      </select></label>
      <label>Workflow <select name="workflow" value=${wf} onChange=${(e) => filter("workflow", e.target.value)}>
        <option value="">any</option>
        ${(data?.workflows ?? []).map((w) => html`<option value=${w}>${w}</option>`)}
      </select></label>
    </div>
    ${error && html`<p class="notice error">${error}</p>`}
    ${
      data &&
      (data.runs.length === 0
        ? html`<p class="notice">No executions${status || wf ? " match" : " yet"}.</p>`
        : html`<table class="runs">
          <thead><tr><th>Status</th><th>Workflow</th><th>Execution</th><th>Started</th><th>Duration</th><th>Failed step</th><th>Metadata</th></tr></thead>
          <tbody>
            ${data.runs.map(
              (r) => html`<tr key=${r.executionId} data-execution=${r.executionId} data-status=${r.status}>
                <td><${Badge} status=${r.status} /></td>
                <td>${r.workflow}<span class="version">@${r.version}</span></td>
                <td><a href=${`#/runs/${encodeURIComponent(r.executionId)}`}><code>${r.executionId}</code></a></td>
                <td>${when(r.startedAt)}</td>
                <td class="num">${ms(r.durationMs)}</td>
                <td>${r.failedStep ?? ""}</td>
                <td><code class="meta-json">${Object.keys(r.metadata).length ? JSON.stringify(r.metadata) : ""}</code></td>
              </tr>`,
            )}
          </tbody>
        </table>`)
    }
    <p class="pages">
      ${cursor && html`<a class="newest" href=${page("")}>← Newest</a>`}
      ${data?.cursor && html`<a class="older" href=${page(data.cursor)}>Older →</a>`}
    </p>
  </section>`;
}

function Actions({ run, onDone }) {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState(undefined);
  const act = async (action) => {
    setBusy(true);
    setMessage(undefined);
    try {
      const { executionId, requested } = await api(`/api/executions/${encodeURIComponent(run.executionId)}/${action}`, {
        method: "POST",
        body: "{}",
      });
      if (action === "rerun") location.hash = `#/runs/${encodeURIComponent(executionId)}`;
      else {
        if (requested)
          setMessage({ text: `Asked ${run.owner ?? "the engine that runs it"} to cancel it`, error: false });
        onDone();
      }
    } catch (error) {
      setMessage({ text: error.message, error: true });
    } finally {
      setBusy(false);
    }
  };
  const running = ["running", "stopping", "compensating"].includes(run.status);
  return html`<div class="actions">
    ${running && html`<button class="cancel" disabled=${busy} onClick=${() => act("cancel")}>Cancel</button>`}
    ${run.status === "interrupted" && html`<button class="cancel" disabled=${busy} onClick=${() => act("cancel")}>Cancel</button>`}
    ${run.status === "interrupted" && html`<button class="resume" disabled=${busy || !run.registered} onClick=${() => act("resume")}>Resume</button>`}
    <button class="rerun" disabled=${busy || !run.registered} onClick=${() => act("rerun")}
      title=${run.registered ? "Start a new execution with the same input" : "This studio does not have that workflow version"}>Run again</button>
    ${message && html`<p class=${message.error ? "notice error" : "notice"} role="status">${message.text}</p>`}
  </div>`;
}

function StepDetails({ step }) {
  const chart = `/api/step-chart?state=${step.state ?? ""}&visited=${step.visited.join(",")}`;
  return html`<div class="step-details" data-step=${step.name}>
    <h3>${step.name} <${Badge} status=${step.status} /></h3>
    <p class="meta">${step.attempts} attempt${step.attempts === 1 ? "" : "s"}${
      step.compensations ? ` · ${step.compensations} compensation attempt${step.compensations === 1 ? "" : "s"}` : ""
    }${step.durationMs !== undefined ? ` · ${ms(step.durationMs)}` : ""}${step.dependencies.length ? ` · after ${step.dependencies.join(", ")}` : ""}</p>
    <div class="step-grid">
      <div><h4 title="rebuilt from the journal: the workflow input as given (before its schema's defaults) and the outputs it read">Input</h4><pre class="value input">${step.input === undefined ? "—" : json(step.input)}</pre></div>
      <div><h4>Output</h4><pre class="value output">${step.output === undefined ? "—" : json(step.output)}</pre></div>
      ${step.error && html`<div class="wide"><h4>Error</h4><pre class="value error">${step.error.name}${step.error.code ? ` (${step.error.code})` : ""}: ${step.error.message}${step.error.cause ? `\ncause: ${json(step.error.cause)}` : ""}</pre></div>`}
      <div class="wide"><h4>Step actor: ${step.state ?? "not started"}</h4>
        <img class="step-chart" alt=${`statechart of ${step.name}, in state ${step.state ?? "none"}`} src=${chart} /></div>
    </div>
  </div>`;
}

function ExecutionPage({ id }) {
  const [{ data, error }, reload] = useJson(`/api/executions/${encodeURIComponent(id)}`);
  const [selected, setSelected] = useState(undefined);
  useLive((ids) => {
    if (ids.includes(id)) reload();
  });
  if (error && !data) return html`<section class="card"><p class="notice error">${error}</p></section>`;
  if (!data) return html`<section class="card"><p class="notice">Loading…</p></section>`;
  const { run } = data;
  const step = data.steps.find((s) => s.name === selected) ?? data.steps.find((s) => s.error) ?? data.steps[0];
  return html`<div class="execution" data-execution=${run.executionId} data-status=${run.status}>
    <header class="run card">
      <h1>${run.workflow} <span class="version">v${run.version}</span></h1>
      <p class="meta">execution <code class="execution-id">${run.executionId}</code> · <${Badge} status=${run.status} /> · <span class="duration">${ms(run.durationMs)}</span> · started ${when(run.startedAt)}${run.owner ? ` · held by ${run.owner}` : ""}</p>
      ${data.error && html`<p class="run-error">${data.error.code ? `${data.error.code}: ` : ""}${data.error.message}</p>`}
      ${data.compensation && data.compensation.compensated.length > 0 && html`<p class="meta">rolled back: ${data.compensation.compensated.join(" → ")}</p>`}
      <${Actions} run=${run} onDone=${reload} />
    </header>
    <div class="dag-html" dangerouslySetInnerHTML=${{ __html: data.dag }}></div>
    <div class="timeline-html" dangerouslySetInnerHTML=${{ __html: data.timeline }}></div>
    <section class="card steps">
      <h2>Steps</h2>
      <div class="step-tabs" role="tablist">
        ${data.steps.map(
          (
            s,
          ) => html`<button role="tab" aria-selected=${s === step} class=${`step-tab st-${s.status}`} data-step=${s.name}
            onClick=${() => setSelected(s.name)}>${s.name}</button>`,
        )}
      </div>
      ${step && html`<${StepDetails} step=${step} />`}
    </section>
    <section class="card events">
      <h2>Events <span class="meta">· ${data.events.length}</span></h2>
      <table class="event-log">
        <thead><tr><th>#</th><th>Time</th><th>Event</th><th>Step</th><th>Attempt</th><th>Details</th></tr></thead>
        <tbody>
          ${data.events.map(
            (e) => html`<tr key=${e.seq} data-type=${e.type}>
              <td class="num">${e.seq}</td>
              <td class="num">+${ms(e.timestamp - run.startedAt)}</td>
              <td><code>${e.type}</code></td>
              <td>${e.step ?? ""}</td>
              <td class="num">${e.attempt ?? ""}</td>
              <td>${[e.error, e.delayMs !== undefined ? `retry in ${ms(e.delayMs)}` : "", e.durationMs !== undefined ? ms(e.durationMs) : ""].filter(Boolean).join(" · ")}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </section>
  </div>`;
}

function WorkflowsPage() {
  const [{ data, error }] = useJson("/api/workflows");
  return html`<section class="workflows">
    ${error && html`<p class="notice error">${error}</p>`}
    ${data && data.length === 0 && html`<p class="card notice">No workflows registered with this studio's engine.</p>`}
    ${(data ?? []).map(
      (w) => html`<article class="card workflow" data-workflow=${w.name}>
        <h2>${w.name} <span class="version">v${w.version}</span></h2>
        ${w.description && html`<p class="meta">${w.description}</p>`}
        <p class="meta">${w.steps} steps · critical path ${w.criticalPath.join(" → ")}</p>
        <div class="scroll" dangerouslySetInnerHTML=${{ __html: w.diagram }}></div>
      </article>`,
    )}
  </section>`;
}

// --- shell -----------------------------------------------------------------------

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, search = ""] = raw.split("?");
  return { path, query: new URLSearchParams(search) };
}

function App() {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const f = () => setRoute(parseHash());
    addEventListener("hashchange", f);
    return () => removeEventListener("hashchange", f);
  }, []);
  const connected = useConnected();
  const page = useMemo(() => {
    const run = route.path.match(/^\/runs\/(.+)$/);
    if (run) {
      const id = decodeURIComponent(run[1]);
      return html`<${ExecutionPage} key=${id} id=${id} />`;
    }
    if (route.path === "/workflows") return html`<${WorkflowsPage} />`;
    return html`<${ExecutionsPage} query=${route.query} />`;
  }, [route]);
  return html`<main>
    <nav class="top">
      <strong class="brand">RubberDuck Studio</strong>
      <a href="#/" class=${route.path === "/" ? "here" : ""}>Executions</a>
      <a href="#/workflows" class=${route.path === "/workflows" ? "here" : ""}>Workflows</a>
      <span class=${`live ${connected ? "on" : "off"}`} title=${connected ? "updates live" : "reconnecting…"}>${connected ? "live" : "offline"}</span>
    </nav>
    ${page}
  </main>`;
}

render(html`<${App} />`, document.getElementById("app"));
