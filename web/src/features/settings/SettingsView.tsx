import { ClaudePanel } from './ClaudePanel';
import { CredentialsPanel } from './CredentialsPanel';
import { GithubPanel } from './GithubPanel';
import { UsagePanel } from './UsagePanel';

export function SettingsView() {
  return (
    <section className="settings" data-testid="settings-view">
      <header className="sandboxes-header">
        <h1>Settings</h1>
      </header>
      <CredentialsPanel />
      <ClaudePanel />
      <GithubPanel />
      <UsagePanel />
    </section>
  );
}
