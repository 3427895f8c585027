/** Shown when the server runs sandboxes with the local driver (no Docker engine answered). */
export function DriverWarning() {
  return (
    <div className="driver-warning" role="alert" data-testid="driver-warning">
      <strong>No Docker engine: sandboxes run on this machine without isolation.</strong>
      <span> Start Docker (or install it) and restart AnyCode to get isolated containers.</span>
    </div>
  );
}
