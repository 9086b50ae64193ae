// Preloaded (node --import) into a command the scale benchmark times: at exit, writes the
// process's peak resident set size in kilobytes (worker threads included) to the file
// named by MLOPS_PEAK_RSS_FILE, and its CPU time (user + system, all threads) in
// microseconds to that name + ".cpu": on a machine shared with other work, CPU time is
// what says whether the work grows linearly with the rows, where wall time moves with the load.
import { writeFileSync } from 'node:fs';

const file = process.env.MLOPS_PEAK_RSS_FILE;
if (file)
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(file, String(u.maxRSS));
    writeFileSync(`${file}.cpu`, String(u.userCPUTime + u.systemCPUTime));
  });
