// A form dialog's footer: Cancel, then the submit button that names the action and says so while
// the request is in flight. Both are disabled meanwhile, so a form is never sent twice.
import { Button, type ButtonVariant } from "./button";

export function FormActions({
  onCancel,
  pending,
  disabled = pending,
  label,
  pendingLabel,
  variant = "primary",
  className = "",
}: {
  onCancel: () => void;
  pending: boolean;
  /** When the submit button is disabled; default while pending. */
  disabled?: boolean;
  label: string;
  pendingLabel: string;
  variant?: ButtonVariant;
  className?: string;
}) {
  return (
    <div className={`flex justify-end gap-2 ${className}`}>
      <Button onClick={onCancel} disabled={pending}>
        Cancel
      </Button>
      <Button type="submit" variant={variant} disabled={disabled}>
        {pending ? pendingLabel : label}
      </Button>
    </div>
  );
}
