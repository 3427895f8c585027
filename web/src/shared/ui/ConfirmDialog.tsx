import { Modal } from './Modal';

interface ConfirmDialogProps {
  title: string;
  message: string;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

/** A yes/no question in a modal (`confirm-dialog`, `confirm-ok`, `confirm-cancel`). */
export function ConfirmDialog({ title, message, confirmLabel, danger = false, onConfirm, onCancel }: ConfirmDialogProps) {
  return (
    <Modal title={title} onClose={onCancel} testId="confirm-dialog">
      <p className="modal-text">{message}</p>
      <div className="modal-actions">
        <button className="small-button" data-testid="confirm-cancel" onClick={onCancel}>
          Cancel
        </button>
        <button
          className={danger ? 'primary-button danger' : 'primary-button'}
          data-testid="confirm-ok"
          autoFocus
          onClick={onConfirm}
        >
          {confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
