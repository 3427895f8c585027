/** The Cancel / submit row at the bottom of a dialog form; the submit button says what it is
 * doing while `busy`. */
export function ModalActions(props: {
  onCancel: () => void;
  busy: boolean;
  label: string;
  busyLabel: string;
  testId: string;
}) {
  return (
    <div className="modal-actions">
      <button type="button" className="small-button" onClick={props.onCancel}>
        Cancel
      </button>
      <button type="submit" className="primary-button" data-testid={props.testId} disabled={props.busy}>
        {props.busy ? props.busyLabel : props.label}
      </button>
    </div>
  );
}
