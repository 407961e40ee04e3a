import { Button } from "./Button.js";

/** A small row action that asks once inline before it acts (delete a pool, remove an address, …). */
export function InlineConfirm({
  open,
  label,
  confirmLabel,
  ariaLabel,
  busy,
  disabled = false,
  onOpen,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  label: string;
  confirmLabel: string;
  ariaLabel?: string;
  busy: boolean;
  /** while another operation runs on the same thing: neither the action nor its confirmation can be clicked */
  disabled?: boolean;
  onOpen: () => void;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  if (!open) {
    return (
      <Button
        variant="secondary"
        className="px-2 py-0.5 text-xs"
        aria-label={ariaLabel}
        disabled={disabled}
        onClick={onOpen}
      >
        {label}
      </Button>
    );
  }
  return (
    <span className="inline-flex gap-1">
      <Button variant="danger" className="px-2 py-0.5 text-xs" busy={busy} disabled={disabled} onClick={onConfirm}>
        {confirmLabel}
      </Button>
      <Button variant="ghost" className="px-2 py-0.5 text-xs" onClick={onCancel}>
        Cancel
      </Button>
    </span>
  );
}
