import { useEffect, useRef } from "react";
import { Button } from "./Button.js";

/**
 * A small row action that asks once inline before it acts (delete a pool, remove an address, …). For the keyboard:
 * opening it moves the focus to Cancel (Enter pressed twice does not confirm), Escape cancels, and cancelling gives
 * the focus back to the action's button.
 */
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
  const opener = useRef<HTMLButtonElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(open);
  useEffect(() => {
    if (open === wasOpen.current) return;
    wasOpen.current = open;
    if (open) cancel.current?.focus();
    // closed while the focus was in the confirmation (now gone): back to the action's button
    else if (document.activeElement === document.body || document.activeElement === null) opener.current?.focus();
  }, [open]);
  if (!open) {
    return (
      <Button
        ref={opener}
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
    <span
      role="group"
      aria-label={ariaLabel ?? label}
      className="inline-flex gap-1"
      onKeyDown={(e) => {
        if (e.key !== "Escape") return;
        e.stopPropagation();
        onCancel();
      }}
    >
      <Button variant="danger" className="px-2 py-0.5 text-xs" busy={busy} disabled={disabled} onClick={onConfirm}>
        {confirmLabel}
      </Button>
      <Button ref={cancel} variant="ghost" className="px-2 py-0.5 text-xs" onClick={onCancel}>
        Cancel
      </Button>
    </span>
  );
}
