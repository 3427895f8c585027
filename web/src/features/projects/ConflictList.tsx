import { plural } from './projectFormat';

/** "Conflicts with main in: a.txt, b.txt" (a warning: the PR can still be opened). */
export function ConflictList({ files, base, testId }: { files: string[]; base: string; testId: string }) {
  return (
    <div className="conflict-warning" role="alert" data-testid={testId}>
      <strong>Conflicts with {base}</strong> in {plural(files.length, 'file')}:{' '}
      {files.map((f, i) => (
        <span key={f}>
          {i > 0 && ', '}
          <code>{f}</code>
        </span>
      ))}
    </div>
  );
}
