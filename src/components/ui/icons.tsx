// Small inline icons. Decorative unless given a label; a labelled one is an img with that name.
import type { SVGProps } from "react";

function Svg({ label, children, ...rest }: SVGProps<SVGSVGElement> & { label?: string }) {
  return (
    <svg
      viewBox="0 0 16 16"
      fill="currentColor"
      width="1em"
      height="1em"
      role={label ? "img" : undefined}
      aria-label={label}
      aria-hidden={label ? undefined : true}
      focusable="false"
      {...rest}
    >
      {label && <title>{label}</title>}
      {children}
    </svg>
  );
}

export function LockIcon(props: SVGProps<SVGSVGElement> & { label?: string }) {
  return (
    <Svg {...props}>
      <path
        fillRule="evenodd"
        d="M8 1a3.5 3.5 0 0 0-3.5 3.5V6H4a1.5 1.5 0 0 0-1.5 1.5v6A1.5 1.5 0 0 0 4 15h8a1.5 1.5 0 0 0 1.5-1.5v-6A1.5 1.5 0 0 0 12 6h-.5V4.5A3.5 3.5 0 0 0 8 1Zm2 5V4.5a2 2 0 1 0-4 0V6h4Z"
        clipRule="evenodd"
      />
    </Svg>
  );
}
