// A one-line progress indicator on stderr for `create --wait`, drawn only when stderr is a TTY so
// logs and pipes never see carriage returns. The caller says what to show; this only draws.
import type { Writable } from 'node:stream';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 100;

export interface Progress {
  update(text: string): void;
  /** Clears the line and stops drawing; safe to call more than once. */
  stop(): void;
}

export function progress(stream: Writable & { isTTY?: boolean }): Progress {
  if (stream.isTTY !== true) return { update: () => undefined, stop: () => undefined };
  let text = '';
  let frame = 0;
  const draw = (): void => {
    if (text === '') return;
    frame = (frame + 1) % FRAMES.length;
    stream.write(`\r\u001b[2K${FRAMES[frame] ?? ''} ${text}`);
  };
  const timer = setInterval(draw, FRAME_MS);
  let stopped = false;
  return {
    update(next) {
      text = next;
      if (!stopped) draw();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      stream.write('\r\u001b[2K');
    },
  };
}
