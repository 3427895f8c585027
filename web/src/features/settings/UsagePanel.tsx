import { useEffect, useState } from 'react';
import type { UsageRow } from '../../shared/api/types';
import { sandboxName, useSandboxes } from '../sandboxes/sandboxStore';
import { usageApi } from './settingsApi';
import { formatCount, sortUsage, usageTotals } from './usageTable';

/** Model requests and tokens per day, sandbox and model (metered by the proxy). */
export function UsagePanel() {
  const [rows, setRows] = useState<UsageRow[] | null>(null);
  const { list: sandboxes } = useSandboxes();
  useEffect(() => {
    usageApi.list().then(setRows, () => setRows([]));
  }, []);
  if (rows === null) return <section className="settings-panel">Loading usage…</section>;
  const totals = usageTotals(rows);
  return (
    <section className="settings-panel" data-testid="usage-view">
      <h2>Usage</h2>
      {rows.length === 0 ? (
        <p className="muted">No model requests yet.</p>
      ) : (
        <table className="settings-table">
          <thead>
            <tr>
              <th>Day</th>
              <th>Sandbox</th>
              <th>Model</th>
              <th className="num">Requests</th>
              <th className="num">Input</th>
              <th className="num">Output</th>
              <th className="num">Cache write</th>
              <th className="num">Cache read</th>
            </tr>
          </thead>
          <tbody>
            {sortUsage(rows).map((r) => (
              <tr key={`${r.day}|${r.sandboxId}|${r.model}`} data-testid="usage-row">
                <td>{r.day}</td>
                <td title={r.sandboxId}>{sandboxName(sandboxes, r.sandboxId) ?? r.sandboxId.slice(0, 8)}</td>
                <td>{r.model}</td>
                <td className="num">{formatCount(r.requests)}</td>
                <td className="num">{formatCount(r.inputTokens)}</td>
                <td className="num">{formatCount(r.outputTokens)}</td>
                <td className="num">{formatCount(r.cacheCreationTokens)}</td>
                <td className="num">{formatCount(r.cacheReadTokens)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <td colSpan={3}>Total</td>
              <td className="num">{formatCount(totals.requests)}</td>
              <td className="num">{formatCount(totals.inputTokens)}</td>
              <td className="num">{formatCount(totals.outputTokens)}</td>
              <td className="num">{formatCount(totals.cacheCreationTokens)}</td>
              <td className="num">{formatCount(totals.cacheReadTokens)}</td>
            </tr>
          </tfoot>
        </table>
      )}
    </section>
  );
}
