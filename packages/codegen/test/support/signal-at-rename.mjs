// Registered with node --import: right after the first generated file is renamed
// into place, the process sends itself the signal named in BPFMAPS_TEST_SIGNAL,
// so a real signal arrives in the middle of the write, between the two renames.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const rename = fs.renameSync;
let sent = false;
fs.renameSync = (from, to) => {
  rename(from, to);
  if (!sent && String(from).endsWith('.tmp')) {
    sent = true;
    process.kill(process.pid, process.env.BPFMAPS_TEST_SIGNAL);
  }
};
syncBuiltinESMExports();
