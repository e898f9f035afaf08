/** Circumference of the ring (r = 14) for stroke-dasharray; matches styles.css. */
interface RingProps {
  period: number;
  /** Seconds into the current period; the CSS animation runs from there without per-second renders. */
  elapsed: number;
  /** Changes every period so the animation restarts. */
  step: number;
  low: boolean;
}

/** Countdown ring: a CSS animation started with a negative delay, so it moves smoothly and costs no JS. */
export function Ring({ period, elapsed, step, low }: RingProps) {
  return (
    <svg class={low ? 'ring low' : 'ring'} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <circle class="track" cx="16" cy="16" r="14" />
      <circle
        key={step}
        class="left"
        cx="16"
        cy="16"
        r="14"
        style={{ animationDuration: `${period}s`, animationDelay: `-${elapsed}s` }}
      />
    </svg>
  );
}
