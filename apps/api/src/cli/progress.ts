/**
 * A progress bar on a terminal, nothing in a pipe or a log file: long work shows where it is
 * to a person and stays out of the output a program reads.
 */

const barWidth = 30;
const redrawIntervalMs = 100;

export interface Progress {
  update(done: number): void;
  finish(): void;
}

export function progressBar(label: string, total: number, stream: NodeJS.WriteStream = process.stderr, enabled = stream.isTTY === true): Progress {
  if (!enabled || total <= 0) return { update: () => undefined, finish: () => undefined };
  let lastDrawMs = 0;
  const draw = (done: number) => {
    const filled = Math.round((done / total) * barWidth);
    const percent = Math.floor((done / total) * 100);
    stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${percent}% ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`);
  };
  return {
    update(done: number) {
      const now = Date.now();
      if (now - lastDrawMs < redrawIntervalMs && done < total) return;
      lastDrawMs = now;
      draw(done);
    },
    finish() {
      draw(total);
      stream.write('\n');
    },
  };
}
