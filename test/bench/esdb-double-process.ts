import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startEsdbDouble, type EsdbDoubleOptions } from '../esdb/double/esdb-double.js';
import { typeScriptNodeArgs } from './node-args.js';

/**
 * The double in a process of its own, for measurements: a real server decodes, stores and
 * answers on other CPUs than its client, so a benchmark that runs the double in the client's
 * process charges the adapter with the server's work (protobuf decoding of every request and
 * its garbage). Tests that inject faults or look into the double's log start it in process
 * (startEsdbDouble); this one offers a connection string and stop, nothing else.
 */

export interface EsdbDoubleProcess {
  url: string;
  stop(): Promise<void>;
}

type FromDouble = { url: string } | { error: string };

export async function startEsdbDoubleProcess(options: Omit<EsdbDoubleOptions, 'chaos' | 'nowMs'> = {}): Promise<EsdbDoubleProcess> {
  const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(options)], { execArgv: typeScriptNodeArgs(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the double's process exited with ${String(code)} before it listened`)));
    child.once('message', (message: FromDouble) => ('url' in message ? resolve(message.url) : reject(new Error(message.error))));
  });
  return {
    url,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('stop');
      await exited;
    },
  };
}

const startedAsTheDouble = process.argv[1] === fileURLToPath(import.meta.url) && process.send !== undefined;
if (startedAsTheDouble) {
  const send = (message: FromDouble) => process.send?.(message);
  try {
    const double = await startEsdbDouble(JSON.parse(process.argv[2] ?? '{}') as EsdbDoubleOptions);
    process.on('message', () => {
      void double.stop().then(() => process.exit(0));
    });
    send({ url: double.url });
  } catch (error) {
    send({ error: error instanceof Error ? error.message : String(error) });
    process.exitCode = 1;
  }
}
